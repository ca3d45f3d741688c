import fs from 'node:fs';
import path from 'node:path';
import { reapOrphanTasks } from '../../src/agent/runner/pidfiles';
import type { AllocResourceUsage, NodeMetaResponse } from '../../src/wire';
import { startFleetgate, type FleetgateProcess } from '../helpers/fleetgate-process';
import { tmpDir } from '../helpers/tmp';
import { eventually } from '../helpers/eventually';

const LIMIT = Math.floor(0.1 * 1024 * 1024);
const LINES = 6000;
// 100-byte numbered lines, written fast enough to rotate several times, then idle until stopped.
const WRITER = `
const pad = 'x'.repeat(88);
let out = '';
for (let i = 0; i < ${LINES}; i++) out += String(i).padStart(10, '0') + ' ' + pad + '\\n';
process.stdout.write(out, () => { process.stderr.write('done\\n'); setInterval(() => {}, 1000); });
`;

/** The task's pid file, once the agent has written it. */
const readPid = (pidFile: string): { pid: number } | undefined =>
  fs.existsSync(pidFile) ? (JSON.parse(fs.readFileSync(pidFile, 'utf8')) as { pid: number }) : undefined;

describe('fleetgate agent process', () => {
  let t: ReturnType<typeof tmpDir>;
  let agent: FleetgateProcess | undefined;
  let configFile: string;
  const start = () => startFleetgate(['agent', '--config', configFile]);

  beforeEach(() => {
    t = tmpDir();
    configFile = path.join(t.dir, 'agent.json');
    fs.writeFileSync(
      configFile,
      JSON.stringify({
        http_addr: '127.0.0.1:0',
        data_dir: path.join(t.dir, 'data'),
        node_name: 'n1',
        meta: { rack: 'r1' },
        allocations: [
          {
            job: 'writer',
            tasks: [
              {
                name: 'web',
                command: process.execPath,
                args: ['-e', WRITER],
                logs: { max_files: 3, max_file_size_mb: 0.1 },
              },
            ],
          },
        ],
      }),
    );
  });
  afterEach(async () => {
    await agent?.stop('SIGKILL');
    agent = undefined;
    // Tasks run in their own process groups and survive a SIGKILLed agent: don't leak them.
    reapOrphanTasks(path.join(t.dir, 'data'));
    t.cleanup();
  });

  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  const allocId = () =>
    fs
      .readdirSync(path.join(t.dir, 'data/client/allocs'))
      .find((n) => n.endsWith('.json'))!
      .slice(0, -5);
  const manifest = (id: string) =>
    JSON.parse(fs.readFileSync(path.join(t.dir, `data/client/allocs/${id}.json`), 'utf8'));
  const logsDir = (id: string) => path.join(t.dir, 'data/alloc', id, 'alloc/logs');
  const stdoutFiles = (id: string) =>
    fs
      .readdirSync(logsDir(id))
      .filter((n) => n.startsWith('web.stdout.'))
      .sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2]));

  it('prints the listening line with the real port, then the node id', async () => {
    agent = await start();
    expect(agent.url).toMatch(/^http:\/\/127\.0\.0\.1:(?!0$)\d+$/);
    await eventually(() => /node id [0-9a-f-]{36}/.test(agent!.output()), 10000);
    const res = await fetch(`${agent.url}/v1/client/metadata`);
    expect(((await res.json()) as { Static: Record<string, string> }).Static.rack).toBe('r1');
  });

  it('runs the static allocation, rotates its logs as Nomad does, stops it, and GC makes it unknown', async () => {
    agent = await start();
    const id = allocId();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await eventually(() => {
      const f = path.join(logsDir(id), 'web.stderr.0');
      return fs.existsSync(f) && fs.readFileSync(f, 'utf8') === 'done\n';
    }, 10000);
    expect(manifest(id).ClientStatus).toBe('running');
    for (const d of ['alloc/data', 'alloc/tmp', 'web/local', 'web/secrets', 'web/tmp']) {
      expect(fs.statSync(path.join(t.dir, 'data/alloc', id, d)).isDirectory()).toBe(true);
    }

    // 600 000 bytes in ~104 800-byte files: indexes 0..5, only the newest 3 kept.
    const files = stdoutFiles(id);
    expect(files).toEqual(['web.stdout.3', 'web.stdout.4', 'web.stdout.5']);
    const contents = files.map((f) => fs.readFileSync(path.join(logsDir(id), f), 'utf8'));
    for (const c of contents.slice(0, -1)) {
      expect(c.length).toBeLessThanOrEqual(LIMIT);
      expect(c.length).toBeGreaterThan(LIMIT - 100);
    }
    for (const c of contents) expect(c.endsWith('\n')).toBe(true); // cut at newlines: no split line
    const numbers = contents
      .join('')
      .trimEnd()
      .split('\n')
      .map((l) => Number(l.slice(0, 10)));
    numbers.forEach((n, i) => i > 0 && expect(n).toBe(numbers[i - 1]! + 1));
    expect(numbers.at(-1)).toBe(LINES - 1);

    const stats = (await (
      await fetch(`${agent.url}/v1/client/allocation/${id}/stats`)
    ).json()) as AllocResourceUsage;
    expect(stats.Tasks['web']!.ResourceUsage.MemoryStats.RSS).toBeGreaterThan(0);
    expect(stats.Tasks['web']!.ResourceUsage.MemoryStats.Measured).toContain('RSS');
    expect(stats.ResourceUsage.CpuStats.Measured).toEqual(['System Mode', 'User Mode', 'Percent']);

    let gc = await fetch(`${agent.url}/v1/client/allocation/${id}/gc`);
    expect(gc.status).toBe(500);
    expect(await gc.text()).toBe('No such allocation on client, or allocation not eligible for GC');

    const stop = await fetch(`${agent.url}/v1/allocation/${id}/stop`, { method: 'POST' });
    expect(stop.status).toBe(200);
    await eventually(() => manifest(id).ClientStatus === 'complete', 10000);

    // The manifest file can be on disk a moment before the agent has adopted it (the rename's
    // completion and this request race in its event loop), so GC is eligible "soon", as in Nomad.
    await eventually(async () => {
      gc = await fetch(`${agent!.url}/v1/client/allocation/${id}/gc`);
      return gc.status === 200;
    }, 5000);
    expect(await gc.text()).toBe('');
    expect(fs.existsSync(path.join(t.dir, 'data/alloc', id))).toBe(false);
    expect(fs.existsSync(path.join(t.dir, `data/client/allocs/${id}.json`))).toBe(false);
    const after = await fetch(`${agent.url}/v1/client/allocation/${id}/stats`);
    expect(after.status).toBe(404);
    expect(await after.text()).toBe(`Unknown allocation "${id}"`);
  });

  it('keeps the allocation id across restarts and continues logging at the highest index', async () => {
    agent = await start();
    const id = allocId();
    await eventually(
      () => stdoutFiles(id).includes('web.stdout.5') && manifest(id).ClientStatus === 'running',
      10000,
    );
    await eventually(
      () => fs.readFileSync(path.join(logsDir(id), 'web.stderr.0'), 'utf8') === 'done\n',
      10000,
    );
    await agent.stop('SIGTERM');
    expect(manifest(id).ClientStatus).toBe('complete');
    agent = await start();
    expect(allocId()).toBe(id);
    await eventually(
      () => fs.readFileSync(path.join(logsDir(id), 'web.stderr.0'), 'utf8') === 'done\ndone\n',
      10000,
    );
    expect(manifest(id).ClientStatus).toBe('running');
    // Resumed at index 5 (not 0): the first file written after the restart continues the series.
    expect(stdoutFiles(id).map((f) => Number(f.split('.')[2]))[0]).toBeGreaterThanOrEqual(5);
  });

  it('dynamic metadata survives kill -9', async () => {
    agent = await start();
    const post = await fetch(`${agent.url}/v1/client/metadata`, {
      method: 'POST',
      body: JSON.stringify({ Meta: { foo: 'bar', rack: null } }),
    });
    expect(post.status).toBe(200);
    await agent.stop('SIGKILL');
    agent = await start();
    const body = (await (await fetch(`${agent.url}/v1/client/metadata`)).json()) as NodeMetaResponse;
    expect(body.Dynamic).toEqual({ foo: 'bar', rack: null });
    expect(body.Meta['foo']).toBe('bar');
    expect(body.Meta['rack']).toBeUndefined();
  });

  it('a task left running by a SIGKILLed agent is killed when the agent starts again, not duplicated', async () => {
    agent = await start();
    const id = allocId();
    const pidFile = path.join(t.dir, 'data/client/tasks', `${id}.web.pid`);
    await eventually(() => readPid(pidFile) !== undefined, 10000);
    const { pid } = readPid(pidFile)!;
    await agent.stop('SIGKILL');
    expect(alive(pid)).toBe(true);
    agent = await start();
    await eventually(() => !alive(pid), 10000);
    await eventually(() => readPid(pidFile) !== undefined, 10000);
    const next = readPid(pidFile)!;
    expect(next.pid).not.toBe(pid);
    expect(alive(next.pid)).toBe(true);
  });

  it('a bad config is one line naming the key and exits 2', async () => {
    fs.writeFileSync(configFile, JSON.stringify({ data_dir: t.dir, http_addr: 'nope' }));
    const err = await start().catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toContain('exited 2');
    expect(msg).toContain('fleetgate: config: http_addr: expected host:port');
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { startFleetgate, type FleetgateProcess } from '../helpers/fleetgate-process';
import { freePort } from '../helpers/ports';
import { joinTokenFile } from '../helpers/join';
import { startRedis, type RedisServer } from '../helpers/redis';
import { tmpDir } from '../helpers/tmp';
import {
  agentArgs,
  httpStatus,
  runCli,
  seedAlloc,
  sleep,
  spawnCli,
  waitFor,
  type SeededAlloc,
} from './cli-stack';

/** Every operator command against real processes (Redis, one agent, one gateway, ACLs off). */
describe('operator commands: human and -json output, exit codes', () => {
  let redis: RedisServer;
  let agent: FleetgateProcess;
  let gateway: FleetgateProcess;
  let cleanup: () => void;
  let seeded: SeededAlloc;
  let twoTask: string;
  const twins = ['abcdef12-0000-4000-8000-000000000001', 'abcdef12-0000-4000-8000-000000000002'];
  const cli = (...args: string[]) =>
    runCli(args, { FLEETGATE_ADDR: gateway.url, FLEETGATE_TOKEN: '', NOMAD_TOKEN: '' });

  beforeAll(async () => {
    redis = await startRedis();
    const t = tmpDir();
    cleanup = t.cleanup;
    const dir = t.dir;
    seeded = seedAlloc(dir, 'counter');
    fs.writeFileSync(path.join(seeded.logsDir, 'counter.stdout.0'), 'one\ntwo\n');
    fs.writeFileSync(path.join(seeded.logsDir, 'counter.stdout.1'), 'three\nfour\nfive\n');
    fs.writeFileSync(path.join(seeded.logsDir, 'counter.stderr.0'), 'oops\n');
    for (const id of twins) {
      const now = Date.now() * 1e6;
      fs.writeFileSync(
        path.join(dir, 'client/allocs', `${id}.json`),
        JSON.stringify({
          ID: id,
          Namespace: 'default',
          JobID: 'twin',
          TaskGroup: 'twin',
          Name: 'twin',
          Tasks: ['a'],
          ClientStatus: 'running',
          CreateTime: now,
          ModifyTime: now,
        }),
      );
    }
    const config = path.join(dir, 'agent.json');
    const sh = (s: string) => ({ command: 'sh', args: ['-c', s] });
    fs.writeFileSync(
      config,
      JSON.stringify({
        allocations: [
          {
            job: 'pair',
            tasks: [
              { name: 'main', ...sh('while true; do echo main; sleep 1; done') },
              { name: 'side', ...sh('while true; do echo side; sleep 1; done') },
            ],
          },
        ],
      }),
    );
    gateway = await startFleetgate(['gateway', '--http-addr', '127.0.0.1:0', '--redis', redis.url]);
    const join = await joinTokenFile(gateway.url, path.join(dir, 'join'));
    agent = await startFleetgate(
      agentArgs(await freePort(), dir, 'cli-node', gateway.url, join, [
        '--config',
        config,
        '--meta',
        'rack=r9',
      ]),
    );
    await waitFor(
      'allocs registered',
      async () =>
        (await httpStatus(`${gateway.url}/v1/allocation/${seeded.id}`)) === 200 &&
        (await httpStatus(`${gateway.url}/v1/allocation/${twins[1]}`)) === 200,
    );
    const list = JSON.parse((await cli('operator', 'api', '/v1/allocations')).stdout) as Array<{
      ID: string;
      JobID: string;
    }>;
    twoTask = list.find((a) => a.JobID === 'pair')!.ID;
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop('SIGKILL');
    await agent?.stop();
    await redis?.stop();
    cleanup?.();
  });

  it('node status lists nodes as a table, and -json as an array', async () => {
    const human = await cli('node', 'status');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(
      /^ID\s+Name\s+DC\s+Address\s+Status\n[0-9a-f]{8}\s+cli-node\s+dc1\s+127\.0\.0\.1:\d+\s+ready\n$/,
    );
    const j = await cli('node', 'status', '-json');
    expect(JSON.parse(j.stdout)).toEqual([expect.objectContaining({ Name: 'cli-node', Status: 'ready' })]);
  });

  it('node status NODE shows the node with its host stats', async () => {
    const r = await cli('node', 'status', 'cli-node');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Status\s+= ready/);
    expect(r.stdout).toMatch(/rack\s+= r9/);
    expect(r.stdout).toMatch(/Host Resource Utilization/);
    const j = JSON.parse((await cli('node', 'status', '--json', 'cli-node')).stdout) as {
      Node: { Name: string };
      Stats: { Memory: object };
    };
    expect(j.Node.Name).toBe('cli-node');
    expect(j.Stats.Memory).toBeDefined();
  });

  it('node meta apply/read with -node-id, -unset, and bad pairs', async () => {
    const set = await cli('node', 'meta', 'apply', '-node-id', 'cli-node', 'team=blue', 'tier=web');
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/team\s+blue\s+dynamic/);
    const read = JSON.parse((await cli('node', 'meta', 'read', '-json')).stdout) as {
      Meta: Record<string, string>;
      Dynamic: Record<string, string>;
    };
    expect(read.Dynamic).toMatchObject({ team: 'blue', tier: 'web' });
    const unset = await cli('node', 'meta', 'apply', '-unset', 'tier', '-json');
    expect((JSON.parse(unset.stdout) as { Meta: Record<string, string> }).Meta['tier']).toBeUndefined();
    expect((await cli('node', 'meta', 'apply', 'novalue')).code).toBe(2);
    expect((await cli('node', 'meta', 'apply')).code).toBe(2);
  });

  it('alloc status by prefix; too short is usage (2); unknown and ambiguous are errors (1)', async () => {
    const r = await cli('alloc', 'status', seeded.id.slice(0, 8));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`ID\\s+= ${seeded.id}`));
    expect(r.stdout).toMatch(/Client Status\s+= running/);
    expect(r.stdout).toMatch(/Tasks\s+= counter/);
    expect(JSON.parse((await cli('alloc', 'status', '-json', seeded.id)).stdout)).toMatchObject({
      ID: seeded.id,
    });
    const short = await cli('alloc', 'status', 'abc');
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/at least 8 characters/);
    const none = await cli('alloc', 'status', 'ffffffff');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no allocation matches "ffffffff"/);
    const amb = await cli('alloc', 'status', 'abcdef12');
    expect(amb.code).toBe(1);
    expect(amb.stderr).toContain('matches 2 allocations');
    for (const id of twins) expect(amb.stderr).toContain(id);
  });

  it('alloc logs: whole log across rotated files, -n, -c, -stderr, -json', async () => {
    const id = seeded.id.slice(0, 8);
    expect((await cli('alloc', 'logs', id)).stdout).toBe('one\ntwo\nthree\nfour\nfive\n');
    expect((await cli('alloc', 'logs', '-n', '2', id)).stdout).toBe('four\nfive\n');
    expect((await cli('alloc', 'logs', '-tail', '-n', '4', id, 'counter')).stdout).toBe(
      'two\nthree\nfour\nfive\n',
    );
    expect((await cli('alloc', 'logs', '-c', '5', id)).stdout).toBe('five\n');
    expect((await cli('alloc', 'logs', '-stderr', id)).stdout).toBe('oops\n');
    const j = (await cli('alloc', 'logs', '-json', id)).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { File: string; Data: string });
    expect(j.map((f) => f.Data).join('')).toBe('one\ntwo\nthree\nfour\nfive\n');
    expect(j[0]!.File).toBe('alloc/logs/counter.stdout.0');
  });

  it('alloc logs needs a task name when the allocation has several (exit 2), and bad flags are usage errors', async () => {
    const r = await cli('alloc', 'logs', twoTask);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/2 tasks \(main, side\); name one/);
    expect((await cli('alloc', 'logs', '-n', 'x', twoTask, 'main')).code).toBe(2);
    expect((await cli('alloc', 'logs', '--bogus', twoTask)).code).toBe(2);
    expect((await cli('alloc', 'logs')).code).toBe(2);
    expect((await cli('alloc', 'logs', '-direct', 'sometimes', twoTask, 'main')).code).toBe(2);
  });

  it('-v says whether the request went direct to the node or through the gateway', async () => {
    const direct = await cli('alloc', 'logs', '-v', seeded.id);
    expect(direct.stderr).toMatch(/direct: node cli-node at http:\/\/127\.0\.0\.1:\d+/);
    const never = await cli('alloc', 'logs', '-v', '-direct', 'never', seeded.id);
    expect(never.stdout).toBe('one\ntwo\nthree\nfour\nfive\n');
    expect(never.stderr).toMatch(/via gateway/);
  });

  it('alloc fs: listing like Nomad, -json, file contents, -stat, -tail, missing path', async () => {
    const id = seeded.id;
    const ls = await cli('alloc', 'fs', id, 'alloc/logs');
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^Mode\s+Size\s+Modified Time\s+Name\n/);
    expect(ls.stdout).toMatch(/-rw-r--r--\s+8 B\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+counter\.stdout\.0\n/);
    const root = await cli('alloc', 'fs', id);
    expect(root.stdout).toMatch(/\salloc\/\n/);
    expect(
      (
        JSON.parse((await cli('alloc', 'fs', '-json', id, 'alloc/logs')).stdout) as Array<{ Name: string }>
      ).map((f) => f.Name),
    ).toContain('counter.stderr.0');
    expect((await cli('alloc', 'fs', id, 'alloc/logs/counter.stdout.1')).stdout).toBe('three\nfour\nfive\n');
    expect((await cli('alloc', 'fs', '-tail', '-n', '1', id, 'alloc/logs/counter.stdout.1')).stdout).toBe(
      'five\n',
    );
    expect((await cli('alloc', 'fs', '-c', '5', id, 'alloc/logs/counter.stdout.1')).stdout).toBe('five\n');
    const stat = await cli('alloc', 'fs', '-stat', '-json', id, 'alloc/logs/counter.stdout.1');
    expect(JSON.parse(stat.stdout)).toMatchObject({ Name: 'counter.stdout.1', Size: 16, IsDir: false });
    const missing = await cli('alloc', 'fs', id, 'alloc/nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no such file or directory \(404 from the (node agent|gateway)\)/);
  });

  it('alloc stats as a table and as JSON', async () => {
    const r = await cli('alloc', 'stats', twoTask);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Task\s+CPU\s+Ticks \(MHz\)\s+RSS/);
    expect(r.stdout).toMatch(/\nmain\s/);
    expect(
      Object.keys(
        (JSON.parse((await cli('alloc', 'stats', '-json', twoTask)).stdout) as { Tasks: object }).Tasks,
      ).sort(),
    ).toEqual(['main', 'side']);
  });

  it('operator api: JSON passthrough, headers, stdin body, and HTTP errors exit 1', async () => {
    const r = await cli('operator', 'api', '/v1/nodes');
    expect(JSON.parse(r.stdout)).toHaveLength(1);
    const nodeId = (JSON.parse(r.stdout) as Array<{ ID: string }>)[0]!.ID;
    const post = await runCli(
      ['operator', 'api', `/v1/client/metadata?node_id=${nodeId}`, '-H', 'Content-Type: application/json'],
      { FLEETGATE_ADDR: gateway.url },
      '{"Meta":{"piped":"yes"}}',
    );
    expect(post.code).toBe(0);
    expect(JSON.parse(post.stdout)).toMatchObject({ Dynamic: { piped: 'yes' } });
    const bad = await cli(
      'operator',
      'api',
      '-X',
      'GET',
      '/v1/allocation/ffffffff-0000-4000-8000-000000000000',
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/alloc not found \(404 from the gateway\)/);
  });

  it('alloc logs -f -n 2 prints only the last two lines of the backlog, then follows', async () => {
    const f = spawnCli(['alloc', 'logs', '-f', '-n', '2', seeded.id], { FLEETGATE_ADDR: gateway.url });
    await waitFor('tail', () => f.stdout().includes('five\n'));
    await sleep(1200);
    expect(f.stdout()).toBe('four\nfive\n');
    f.proc.kill('SIGINT');
    await f.exited;
  });

  it('alloc logs -f ends by itself once the allocation is terminal and drained', async () => {
    const f = spawnCli(['alloc', 'logs', '-f', seeded.id], { FLEETGATE_ADDR: gateway.url });
    await waitFor('backlog', () => f.stdout().includes('five\n'));
    fs.appendFileSync(path.join(seeded.logsDir, 'counter.stdout.1'), 'six\n');
    await waitFor('follow output', () => f.stdout().includes('six\n'));
    seeded.setStatus('complete');
    expect(await f.exited).toBe(0);
    expect(f.stdout()).toBe('one\ntwo\nthree\nfour\nfive\nsix\n');
  });

  it('alloc stop, then alloc gc, then the allocation is gone', async () => {
    const stop = await cli('alloc', 'stop', twoTask);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/stopping/);
    await waitFor(
      'terminal',
      async () => /Client Status\s+= (complete|failed)/.test((await cli('alloc', 'status', twoTask)).stdout),
      15000,
    );
    const gc = await cli('alloc', 'gc', '-json', twoTask);
    expect(gc.code).toBe(0);
    expect(JSON.parse(gc.stdout)).toEqual({ ID: twoTask, GarbageCollected: true });
    await waitFor('deregistered', async () => (await cli('alloc', 'status', twoTask)).code === 1, 10000);
    expect((await cli('node', 'gc', 'cli-node')).code).toBe(0);
  });

  it('a gateway that is not running: exit 1 and what to do', async () => {
    const port = await freePort();
    const r = await runCli(['node', 'status', '--address', `127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `is the gateway running at 127.0.0.1:${port}? set --address or FLEETGATE_ADDR`,
    );
  });
});

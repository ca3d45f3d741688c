import http from 'node:http';
import { seedAlloc, type SeededAlloc } from '../helpers/seed-alloc';
import { startFleetgate, type FleetgateProcess } from '../helpers/fleetgate-process';
import { freePort } from '../helpers/ports';
import { startRedis, type RedisServer } from '../helpers/redis';
import { tmpDir } from '../helpers/tmp';
import { joinTokenFile } from '../helpers/join';
import { FrameDecoder } from '../../src/wire/frames';
import { writeKeyPair } from '../../src/cli/commands/acl-keygen';
import { agentArgs, NumberWriter, runCli, sleep, spawnCli, waitFor } from './cli-stack';

/**
 * `GET /v1/job/:id/logs` through a real gateway, three real agents and Redis: a job with six
 * allocations (two per agent) whose tasks write lines `<alloc8> <n>`, some rotating.
 */

interface Live {
  text(): string;
  status: number;
  headers: http.IncomingHttpHeaders;
  ended: Promise<void>;
  close(): void;
}

/** Opens a GET and collects its body while it runs. */
const open = (url: string, headers: Record<string, string> = {}): Promise<Live> =>
  new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      const ended = new Promise<void>((r) => res.once('close', () => r()));
      res.on('data', (c: Buffer) => chunks.push(c));
      resolve({
        text: () => Buffer.concat(chunks).toString('utf8'),
        status: res.statusCode ?? 0,
        headers: res.headers,
        ended,
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });

const PLAIN_LINE = /^\[(\w+)\.(\d+) ([0-9a-f]{8})\] (.*)$/;

interface Parsed {
  /** Numbers seen per alloc8, in order. */
  numbers: Map<string, number[]>;
  /** In-band events: `<alloc8> <event text>`. */
  events: string[];
  /** Lines whose prefix names another source than their content (must stay empty). */
  misattributed: string[];
}

const parsePlain = (out: string): Parsed => {
  const numbers = new Map<string, number[]>();
  const events: string[] = [];
  const misattributed: string[] = [];
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const m = PLAIN_LINE.exec(line);
    if (!m) {
      misattributed.push(line);
      continue;
    }
    const [, , , a8, rest] = m as unknown as [string, string, string, string, string];
    if (rest.startsWith('==> ')) {
      events.push(`${a8} ${rest.slice(4)}`);
      continue;
    }
    const body = /^([0-9a-f]{8}) (\d+)$/.exec(rest);
    if (!body || body[1] !== a8) {
      misattributed.push(line);
      continue;
    }
    const list = numbers.get(a8) ?? [];
    list.push(Number(body[2]));
    numbers.set(a8, list);
  }
  return { numbers, events, misattributed };
};

const parseFramed = (out: string): Parsed => {
  const dec = new FrameDecoder();
  const bytes = new Map<string, string>();
  const events: string[] = [];
  for (const f of dec.push(out)) {
    if (f.heartbeat) continue;
    const a8 = f.source!.allocId.slice(0, 8);
    if (f.data.length > 0) bytes.set(a8, (bytes.get(a8) ?? '') + f.data.toString('utf8'));
    if (f.fileEvent) events.push(`${a8} ${f.fileEvent}${f.message ? `: ${f.message}` : ''}`);
  }
  const numbers = new Map<string, number[]>();
  const misattributed: string[] = [];
  for (const [a8, text] of bytes) {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const body = /^([0-9a-f]{8}) (\d+)$/.exec(line);
      if (!body || body[1] !== a8) misattributed.push(line);
      else numbers.set(a8, [...(numbers.get(a8) ?? []), Number(body[2])]);
    }
  }
  expect(dec.trailer()).toBe('');
  return { numbers, events, misattributed };
};

/** 1..n in order: every line exactly once. */
const oneToN = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe('job-wide logs: one stream for every allocation of a job', () => {
  let redis: RedisServer;
  const procs: FleetgateProcess[] = [];
  const cleanups: Array<() => void> = [];
  const agents: Array<{ args: string[]; dir: string; proc: FleetgateProcess }> = [];
  let gw = '';
  /** A second gateway on a fixed port, restarted under `job logs -f`. */
  let gw2: FleetgateProcess;
  let gw2Args: string[] = [];
  const allocs: Array<{ alloc: SeededAlloc; writer: NumberWriter; agent: number }> = [];

  const addAlloc = (agent: number, rotateAt: number): (typeof allocs)[number] => {
    const alloc = seedAlloc(agents[agent]!.dir, { job: 'counter', task: 'web' });
    const writer = new NumberWriter(alloc.logsDir, 'web', rotateAt, alloc.id.slice(0, 8));
    const entry = { alloc, writer, agent };
    allocs.push(entry);
    return entry;
  };
  const registered = async (id: string) =>
    waitFor(`alloc ${id} registered`, async () => {
      const res = await fetch(`${gw}/v1/allocation/${id}`);
      await res.arrayBuffer();
      return res.status === 200;
    });

  beforeAll(async () => {
    redis = await startRedis();
    const gateway = await startFleetgate([
      'gateway',
      '--http-addr',
      '127.0.0.1:0',
      '--redis',
      redis.url,
      '--job-logs-grace-ms',
      '1500',
      '--max-streams-anonymous',
      '3',
    ]);
    procs.push(gateway);
    gw = gateway.url;
    gw2Args = ['gateway', '--http-addr', `127.0.0.1:${await freePort()}`, '--redis', redis.url];
    gw2 = await startFleetgate(gw2Args, {}, 40_000);
    procs.push(gw2);
    // Agents join through the gateway with a join token; they hold no registry credentials.
    const joinDir = tmpDir();
    cleanups.push(joinDir.cleanup);
    const join = await joinTokenFile(gw, joinDir.dir);
    for (let i = 0; i < 3; i++) {
      const { dir, cleanup } = tmpDir();
      cleanups.push(cleanup);
      const args = agentArgs(await freePort(), dir, `jl-node-${i}`, gw, join);
      const proc = await startFleetgate(args, {}, 40_000);
      procs.push(proc);
      agents.push({ args, dir, proc });
    }
    // Six allocations, two per agent; every other one rotates every ~2 KB.
    for (let i = 0; i < 6; i++) addAlloc(i % 3, i % 2 === 0 ? 2000 : 1e9);
    for (const a of allocs) a.writer.burst(300);
    for (const a of allocs) await registered(a.alloc.id);
  }, 60_000);

  afterAll(async () => {
    for (const a of allocs) a.writer.stop();
    for (const p of procs) await p.stop('SIGKILL');
    await redis?.stop();
    cleanups.forEach((c) => c());
  });

  it('plain and framed: every line of every allocation exactly once, whole and attributed', async () => {
    expect(allocs.some((a) => a.writer.files > 1)).toBe(true);
    const plain = await open(`${gw}/v1/job/counter/logs?plain=true`);
    expect(plain.status).toBe(200);
    await plain.ended;
    const p = parsePlain(plain.text());
    expect(p.misattributed).toEqual([]);
    const framed = await open(`${gw}/v1/job/counter/logs`);
    expect(framed.headers['content-type']).toBe('application/json');
    await framed.ended;
    const f = parseFramed(framed.text());
    expect(f.misattributed).toEqual([]);
    for (const parsed of [p, f]) {
      expect(parsed.numbers.size).toBe(6);
      for (const { alloc } of allocs) expect(parsed.numbers.get(alloc.id.slice(0, 8))).toEqual(oneToN(300));
      expect(parsed.events.filter((e) => e.endsWith('source ended'))).toHaveLength(6);
    }
    // prefix=false: bare lines; a custom template is rendered per source.
    const bare = await open(`${gw}/v1/job/counter/logs?plain=true&prefix=false`);
    await bare.ended;
    expect(
      bare
        .text()
        .split('\n')
        .filter((l) => /^[0-9a-f]{8} \d+$/.test(l)),
    ).toHaveLength(1800);
    const custom = await open(`${gw}/v1/job/counter/logs?plain=true&prefix=${encodeURIComponent('{node}|')}`);
    await custom.ended;
    expect(custom.text()).toMatch(/^[0-9a-f]{8}\|[0-9a-f]{8} \d+$/m);
  });

  it('CLI: job logs prints every line once with its prefix; -n keeps the last lines of each source', async () => {
    const all = await runCli(['job', 'logs', 'counter', '-address', gw]);
    expect(all.code).toBe(0);
    const p = parsePlain(all.stdout);
    expect(p.misattributed).toEqual([]);
    for (const { alloc } of allocs) expect(p.numbers.get(alloc.id.slice(0, 8))).toEqual(oneToN(300));
    const last = await runCli(['job', 'logs', '-n', '3', 'counter', '-address', gw]);
    const t = parsePlain(last.stdout);
    for (const { alloc } of allocs) expect(t.numbers.get(alloc.id.slice(0, 8))).toEqual([298, 299, 300]);
    const bare = await runCli(['job', 'logs', '-no-prefix', 'counter', '-address', gw]);
    expect(bare.stdout.split('\n').filter((l) => /^[0-9a-f]{8} \d+$/.test(l))).toHaveLength(1800);
    const unknown = await runCli(['job', 'logs', 'nope', '-address', gw]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('job "nope" has no allocations');
  }, 120_000);

  it('bad parameters are 400, an unknown job 404', async () => {
    const bad = await fetch(`${gw}/v1/job/counter/logs?follow=maybe`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('failed to parse follow field to boolean');
    expect((await fetch(`${gw}/v1/job/counter/logs?type=both`)).status).toBe(400);
    const none = await fetch(`${gw}/v1/job/nope/logs`);
    expect(none.status).toBe(404);
    expect(await none.text()).toBe('job "nope" has no allocations in namespace "default"');
  });

  it('ACL: a token without read-logs in the namespace is refused, one with it streams', async () => {
    const { dir, cleanup } = tmpDir();
    cleanups.push(cleanup);
    const { privatePath } = writeKeyPair(dir);
    const secured = await startFleetgate([
      'gateway',
      '--http-addr',
      '127.0.0.1:0',
      '--redis',
      redis.url,
      '--acl',
      '--acl-key',
      privatePath,
    ]);
    procs.push(secured);
    const api = async (path: string, token: string, body: unknown) => {
      const res = await fetch(`${secured.url}${path}`, {
        method: 'POST',
        headers: { 'X-Nomad-Token': token },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
      return text ? (JSON.parse(text) as { SecretID: string }) : undefined;
    };
    const root = (await api('/v1/acl/bootstrap', '', {}))!.SecretID;
    const policy = (name: string, rules: unknown) =>
      api(`/v1/acl/policy/${name}`, root, { Name: name, Rules: JSON.stringify(rules) });
    await policy('jobs-only', { namespace: { default: { policy: 'read' } } });
    await policy('logs-elsewhere', { namespace: { other: { capabilities: ['read-logs'] } } });
    await policy('logs', { namespace: { default: { capabilities: ['read-logs'] } } });
    const token = async (p: string) =>
      (await api('/v1/acl/token', root, { Type: 'client', Policies: [p], ExpirationTTL: '1h' }))!.SecretID;
    const url = `${secured.url}/v1/job/counter/logs?plain=true`;
    for (const p of ['jobs-only', 'logs-elsewhere']) {
      const res = await fetch(url, { headers: { 'X-Nomad-Token': await token(p) } });
      expect({ p, status: res.status, body: await res.text() }).toEqual({
        p,
        status: 403,
        body: 'Permission denied',
      });
    }
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(403);
    await anonymous.text();
    // Unknown jobs are not revealed to callers who may not read logs there.
    const unknown = await fetch(`${secured.url}/v1/job/nope/logs`);
    expect(unknown.status).toBe(403);
    await unknown.text();
    const ok = await open(url, { 'X-Nomad-Token': await token('logs') });
    expect(ok.status).toBe(200);
    await ok.ended;
    expect(parsePlain(ok.text()).numbers.size).toBe(6);
  }, 120_000);

  it('quotas: the N+1st stream is 429 with Retry-After, open ones flow on, a closed one frees its slot at once', async () => {
    // Anonymous limit 3 at this gateway: three follows of any kind, then refusals.
    const a0 = allocs[1]!.alloc.id;
    const follow = `${gw}/v1/client/fs/logs/${a0}?task=web&type=stdout&follow=true&plain=true`;
    const held = [
      await open(follow),
      await open(follow),
      await open(`${gw}/v1/job/counter/logs?follow=true`),
    ];
    expect(held.map((h) => h.status)).toEqual([200, 200, 200]);
    const refused = await fetch(follow);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.text()).toContain('max_streams_anonymous=3');
    expect((await fetch(`${gw}/v1/job/counter/logs`)).status).toBe(429);
    // The open ones are untouched: more bytes arrive on them.
    const sizes = held.map((h) => h.text().length);
    allocs[1]!.writer.burst(50);
    await waitFor('open streams still flowing', () => held[0]!.text().length > sizes[0]!);
    // Closing one frees its slot at once.
    held[0]!.close();
    await held[0]!.ended;
    const next = await open(follow);
    expect(next.status).toBe(200);
    const metrics = await (await fetch(`${gw}/v1/metrics`)).text();
    expect(metrics).toMatch(/fleetgate_gateway_quota_rejections_total\{limit="max_streams_anonymous"\} 2/);
    expect(metrics).toMatch(/fleetgate_gateway_quota_streams 3/);
    next.close();
    for (const h of held) h.close();
  });

  it('follow: a new allocation joins, a killed node is reported in-band and resumed without loss, the stream ends after the job', async () => {
    for (const a of allocs) a.writer.start(5, 1);
    const live = await open(`${gw}/v1/job/counter/logs?plain=true&follow=true`);
    expect(live.status).toBe(200);
    const cli = spawnCli(['job', 'logs', '-f', 'counter', '-address', gw2.url, '-give-up', '60s']);
    const count = (a8: string) => parsePlain(live.text()).numbers.get(a8)?.length ?? 0;
    await waitFor('every source flowing', () => allocs.every((a) => count(a.alloc.id.slice(0, 8)) > 310));

    // A seventh allocation appears while following.
    const late = addAlloc(1, 2000);
    late.writer.start(5, 1);
    const late8 = late.alloc.id.slice(0, 8);
    await waitFor('the new allocation in the stream', () => count(late8) > 20, 20_000);

    // Kill agent 0 (hosting allocations 0 and 3); the others keep flowing.
    const dead = agents[0]!;
    await dead.proc.stop('SIGKILL');
    const onDead = allocs.filter((a) => a.agent === 0).map((a) => a.alloc.id.slice(0, 8));
    await waitFor('source down reported', () =>
      onDead.every((a8) => parsePlain(live.text()).events.some((e) => e.startsWith(`${a8} source down`))),
    );
    const others = allocs.filter((a) => a.agent !== 0).map((a) => a.alloc.id.slice(0, 8));
    const before = new Map(others.map((a8) => [a8, count(a8)]));
    await waitFor('others continue', () => others.every((a8) => count(a8) > before.get(a8)! + 50));

    // Restart it on the same port and data dir: its lines resume from where they stopped.
    dead.proc = await startFleetgate(dead.args, {}, 40_000);
    procs.push(dead.proc);
    await waitFor(
      'source resumed',
      () =>
        onDead.every((a8) =>
          parsePlain(live.text()).events.some((e) => e.startsWith(`${a8} source resumed`)),
        ),
      30_000,
    );

    // The CLI's gateway restarts: `job logs -f` resumes every source where it stopped.
    await gw2.stop('SIGKILL');
    await sleep(500);
    gw2 = await startFleetgate(gw2Args, {}, 40_000);
    procs.push(gw2);
    await waitFor('CLI resumed', () => cli.stderr().includes('resumed via gateway'), 30_000);

    // The job ends: writers stop, every allocation turns complete; the stream ends by itself.
    for (const a of allocs) a.writer.stop();
    await sleep(200);
    for (const a of allocs) a.alloc.setStatus('complete');
    let guard: NodeJS.Timeout | undefined;
    await Promise.race([
      live.ended,
      new Promise((_, reject) => {
        guard = setTimeout(
          () => reject(new Error(`stream did not end:\n${live.text().slice(-2000)}`)),
          30_000,
        );
      }),
    ]).finally(() => clearTimeout(guard));
    expect(await cli.exited).toBe(0);
    for (const out of [live.text(), cli.stdout()]) {
      const p = parsePlain(out);
      expect(p.misattributed).toEqual([]);
      for (const { alloc, writer } of allocs)
        expect({ alloc: alloc.id, numbers: p.numbers.get(alloc.id.slice(0, 8)) }).toEqual({
          alloc: alloc.id,
          numbers: oneToN(writer.n),
        });
    }
  }, 120_000);
});

/**
 * Gateway benchmarks (issue 3), each against a baseline measured in the same run:
 *  1. 1 GiB cat through the gateway ÷ through a bare node-http-proxy hop to the same agent (goal ≥ 0.95)
 *  2. small requests (fs/stat, alloc stats): req/s and p99, gateway ÷ bare hop (goal ≥ 0.8)
 *  3. Redis round trips per request in steady state, from INFO commandstats (goal 0)
 *  4. N idle follow streams held by one gateway: its RSS (goal < 500 MiB at 10,000; 9,000 here, see STREAMS)
 * Run with `npm run bench:gateway` (raises `ulimit -n`). Loopback only; every loop is bounded.
 * Job-wide logs (one merged stream of 20 allocations against 20 separate follows) have their own
 * run: `npm run bench:joblogs` (bench/job-logs.bench.ts).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Redis from 'ioredis';
import { allocFixture } from './alloc-fixture';
import {
  agentArgs,
  bigFile,
  curlSpeed,
  fmt,
  gatewayArgs,
  joinTokenFile,
  median,
  startListening,
  type Proc,
} from './harness';
import { startRedis } from '../test/helpers/redis';
import { cpuDuring } from './cpu';
import { load } from './load';
import { tlsRows } from './tls-rows';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
// The sandbox's hard fd limit is 20,000 and a proxied stream costs the gateway two fds (client +
// upstream), so 9,000 is the most one gateway can hold here; the RSS figure scales per stream.
const STREAMS = Number(process.env['BENCH_STREAMS'] ?? 9000);
const LOAD_MS = Number(process.env['BENCH_LOAD_MS'] ?? 5000);

/**
 * Both relays run with the Docker image's malloc setting: without it, whichever process glibc
 * happens to trim and re-fault on its 64 KiB reads spends ~3x the CPU per GiB (measured on the
 * gateway and on the bare hop alike), and the 1 GiB ratio measured that luck instead of the relay.
 */
const RELAY_ENV = { GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=33554432' };

const BARE_HOP = `
const http = require('node:http'), httpProxy = require('http-proxy');
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const proxy = httpProxy.createProxyServer({ target: process.argv[1], agent });
proxy.on('error', (e, req, res) => { res.writeHead(502); res.end(String(e)); });
http.createServer((req, res) => proxy.web(req, res)).listen(0, '127.0.0.1', function () {
  console.log('hop listening on http://127.0.0.1:' + this.address().port);
});
`;

/** Calls per Redis command (INFO commandstats), without INFO itself. */
const commandCalls = async (redis: Redis): Promise<Map<string, number>> => {
  const info = await redis.info('commandstats');
  const calls = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm))
    if (m[1] !== 'info') calls.set(m[1]!, Number(m[2]));
  return calls;
};

/** What ran between two snapshots, e.g. `eval 1, publish 1`. */
const callsBetween = (a: Map<string, number>, b: Map<string, number>): { total: number; detail: string } => {
  const diff = [...b].map(([k, v]) => [k, v - (a.get(k) ?? 0)] as const).filter(([, d]) => d > 0);
  return {
    total: diff.reduce((n, [, d]) => n + d, 0),
    detail: diff.map(([k, d]) => `${k} ${d}`).join(', ') || 'none',
  };
};

const rssMiB = (pid: number): number => {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
};

const sequential = async (url: string, n: number) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < n; i++) {
    await new Promise<void>((resolve, reject) =>
      http.get(url, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject),
    );
  }
  agent.destroy();
};

const holdIdleStreams = async (url: string, n: number, pid: number) => {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const reqs: http.ClientRequest[] = [];
  const before = rssMiB(pid);
  let opened = 0;
  for (let i = 0; i < n; i += 200) {
    await Promise.all(
      Array.from(
        { length: Math.min(200, n - i) },
        () =>
          new Promise<void>((resolve) => {
            const req = http.get(url, { agent }, (res) => {
              opened += res.statusCode === 200 ? 1 : 0;
              resolve();
            });
            req.on('error', () => resolve());
            // plain follow of an idle log sends no byte: wait until the gateway has the stream.
            req.on('socket', (s) => s.once('connect', () => setTimeout(resolve, 50)));
            reqs.push(req);
          }),
      ),
    );
    if (i % 2000 === 0) process.stderr.write(`  ${Math.min(i + 200, n)}/${n} streams opened\r`);
  }
  await new Promise((r) => setTimeout(r, 2000));
  const after = rssMiB(pid);
  for (const r of reqs) r.destroy();
  return { before, after, opened: reqs.length, confirmed: opened };
};

const main = async () => {
  const file = bigFile();
  const fx = allocFixture();
  fs.linkSync(file, path.join(fx.allocDir, 'alloc/data/big.bin'));
  fs.writeFileSync(path.join(fx.allocDir, 'alloc/data/small.txt'), 'hello\n');
  fs.writeFileSync(path.join(fx.allocDir, 'alloc/logs/web.stdout.0'), '');
  const redis = await startRedis();
  const redisClient = new Redis(redis.url);
  const procs: Proc[] = [];
  try {
    // The idle-follow figure holds thousands of anonymous streams on one allocation: quotas off.
    const join = joinTokenFile(path.dirname(fx.dataDir));
    const gateway = await startListening(
      process.execPath,
      gatewayArgs(redis.url, join, ['--max-streams-anonymous', '0', '--max-streams-total', '0']),
      RELAY_ENV,
    );
    procs.push(gateway);
    const agent = await startListening(
      process.execPath,
      agentArgs(fx.dataDir, [
        '--gateway',
        gateway.url,
        '--join-token',
        join,
        '--max-followers-total',
        '0',
        '--max-followers-per-alloc',
        '0',
      ]),
    );
    procs.push(agent);
    const hop = await startListening(process.execPath, ['-e', BARE_HOP, agent.url], RELAY_ENV);
    procs.push(hop);
    await new Promise((r) => setTimeout(r, 1500)); // manifest adoption + registration

    const cat = `/v1/client/fs/cat/${fx.id}?path=alloc/data/big.bin`;
    const gw: number[] = [];
    const bare: number[] = [];
    // The relay's own CPU per GiB (user + system of the gateway or hop process while curl ran):
    // it moves less with the neighbours than MB/s does on a shared machine.
    const gwCpu: number[] = [];
    const bareCpu: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const b = await cpuDuring([hop.proc.pid!], () => curlSpeed(hop.url + cat).mbps);
      bare.push(b.result);
      bareCpu.push(b.cpuMs[0]!);
      const g = await cpuDuring([gateway.proc.pid!], () => curlSpeed(gateway.url + cat).mbps);
      gw.push(g.result);
      gwCpu.push(g.cpuMs[0]!);
    }
    console.log(
      `cat 1 GiB        gateway ${fmt(median(gw))} MB/s   bare http-proxy hop ${fmt(median(bare))} MB/s   ratio ${fmt(median(gw) / median(bare), 2)} (goal ≥ 0.95)`,
    );
    console.log(
      `  relay CPU per GiB: gateway ${fmt(median(gwCpu), 0)} ms, bare hop ${fmt(median(bareCpu), 0)} ms (gateway ÷ hop ${fmt(median(gwCpu) / median(bareCpu), 2)}; runs ${gwCpu.join('/')} vs ${bareCpu.join('/')})`,
    );

    for (const [name, p] of [
      ['fs/stat', `/v1/client/fs/stat/${fx.id}?path=alloc/data/small.txt`],
      ['alloc stats', `/v1/client/allocation/${fx.id}/stats`],
    ] as const) {
      await load(gateway.url + p, 10, 500); // warm caches and connections
      const h = await load(hop.url + p, 50, LOAD_MS);
      const g = await load(gateway.url + p, 50, LOAD_MS);
      console.log(
        `${name.padEnd(16)} gateway ${fmt(g.rps, 0)} req/s p99 ${fmt(g.p99, 2)} ms   bare hop ${fmt(h.rps, 0)} req/s p99 ${fmt(h.p99, 2)} ms   ratio ${fmt(g.rps / h.rps, 2)} (goal ≥ 0.8)${g.errors + h.errors ? `  errors ${g.errors}/${h.errors}` : ''}`,
      );
    }

    const N = 1000;
    const stat = `${gateway.url}/v1/client/fs/stat/${fx.id}?path=alloc/data/small.txt`;
    await sequential(stat, 10);
    const c0 = await commandCalls(redisClient);
    const t0 = Date.now();
    await sequential(stat, N);
    const windowMs = Date.now() - t0;
    const c1 = await commandCalls(redisClient);
    const d = callsBetween(c0, c1);
    // The background work (agents' heartbeats, the gateways' lapse sweeps) lands in any window:
    // an idle window as long as the loaded one is what requests did not cause.
    await new Promise((r) => setTimeout(r, windowMs));
    const idle = callsBetween(c1, await commandCalls(redisClient));
    console.log(
      `redis commands   ${d.total} during ${N} gateway requests (${fmt(windowMs / 1000, 1)} s), ${idle.total} in as long idle: ` +
        `${fmt(Math.max(0, d.total - idle.total) / N, 3)} per request (goal 0)\n` +
        `  loaded: ${d.detail}\n  idle:   ${idle.detail}`,
    );

    const follow = `${gateway.url}/v1/client/fs/logs/${fx.id}?task=web&type=stdout&follow=true&plain=true`;
    const held = await holdIdleStreams(follow, STREAMS, gateway.proc.pid!);
    console.log(
      `idle follows     ${held.opened} held by one gateway: RSS ${fmt(held.before, 0)} → ${fmt(held.after, 0)} MiB (${fmt(((held.after - held.before) * 1024) / held.opened, 1)} KiB/stream; goal < 500 MiB)`,
    );
  } finally {
    for (const p of procs.reverse()) await p.stop();
    redisClient.disconnect();
    await redis.stop();
    fx.cleanup();
  }
};

// The TLS rows (bench/tls-rows.ts) run after the others, on stacks of their own.
main()
  .then(async () => console.log((await tlsRows({ cli: false })).join('\n')))
  .catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });

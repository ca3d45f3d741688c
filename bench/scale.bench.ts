/**
 * `npm run bench:scale`: what a fleet costs the registry's Redis and the gateways, by fleet size.
 * For each backend (one Redis, a 3-master Redis Cluster) and each N: N simulated agents in a
 * few processes (bench/scale-agents.ts) register, store M allocations each and heartbeat every
 * node at the real interval, while K gateway processes serve cold allocation lookups. Measured
 * over a window: Redis commands/s and CPU (sum over masters), Redis memory per node and per
 * allocation, gateway RSS and CPU, cold-lookup latency through a gateway, and the change messages
 * every gateway receives per second. Writes bench/results/scale-<label>.json, a markdown table,
 * and docs/scale.svg (plotting this run and, when present, the `before` run for comparison).
 *
 * Environment: SCALE_N (default 100,1000,2000), SCALE_ALLOCS (M, default 50), SCALE_GATEWAYS
 * (K, default 2), SCALE_BACKENDS (default single,cluster), SCALE_WINDOW_S (default 20),
 * SCALE_PROCS (simulator processes, default 4), SCALE_LABEL (default after).
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Redis } from 'ioredis';
import { DEFAULTS } from '../src/config/defaults';
import { RedisRegistry } from '../src/registry/redis';
import { startRedis } from '../test/helpers/redis';
import { startRedisCluster } from '../test/helpers/redis-cluster';
import { procCpuMs } from './cpu';
import { CLI, fmt, percentile, startListening, type Proc } from './harness';

const env = (k: string, d: string) => process.env[k] ?? d;
const NS = env('SCALE_N', '100,1000,2000').split(',').map(Number);
const M = Number(env('SCALE_ALLOCS', '50'));
const K = Number(env('SCALE_GATEWAYS', '2'));
const BACKENDS = env('SCALE_BACKENDS', 'single,cluster').split(',') as Backend[];
const WINDOW_S = Number(env('SCALE_WINDOW_S', '20'));
const PROCS = Number(env('SCALE_PROCS', '4'));
const LABEL = env('SCALE_LABEL', 'after');
const INTERVAL_MS = DEFAULTS.heartbeatIntervalMs;
const RESULTS = path.resolve(__dirname, 'results');
const SVG = path.resolve(__dirname, '../docs/scale.svg');

type Backend = 'single' | 'cluster';

export interface Point {
  backend: Backend;
  n: number;
  allocsPerNode: number;
  gateways: number;
  commandsPerSec: number;
  redisCpuPct: number;
  bytesPerNode: number;
  bytesPerAlloc: number;
  gatewayRssMiB: number;
  gatewayCpuPct: number;
  coldP50Ms: number;
  coldP99Ms: number;
  coldErrors: number;
  messagesPerGatewayPerSec: number;
  heartbeatsPerSec: number;
}

const log = (s: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The masters of the backend, as plain connections (INFO is per server). */
interface Target {
  url: string;
  masters(): Promise<Redis[]>;
  stop(): Promise<void>;
}

const startBackend = async (b: Backend): Promise<Target> => {
  if (b === 'single') {
    const s = await startRedis();
    return {
      url: s.url,
      masters: async () => [new Redis(s.port, '127.0.0.1')],
      stop: () => s.stop(),
    };
  }
  const c = await startRedisCluster();
  return {
    url: c.url,
    masters: async () => {
      const out: Redis[] = [];
      for (const n of c.nodes.filter((x) => x.alive)) {
        const r = new Redis(n.port, '127.0.0.1');
        if ((await r.info('replication')).includes('role:master')) out.push(r);
        else r.disconnect();
      }
      return out;
    },
    stop: () => c.stop(),
  };
};

const infoNum = (info: string, field: string): number =>
  Number(new RegExp(`^${field}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 0);

const sample = async (masters: Redis[]) => {
  let commands = 0;
  let cpu = 0;
  let memory = 0;
  for (const r of masters) {
    const i = await r.info();
    commands += infoNum(i, 'total_commands_processed');
    cpu += infoNum(i, 'used_cpu_user') + infoNum(i, 'used_cpu_sys');
    memory += infoNum(i, 'used_memory');
  }
  return { commands, cpu, memory, at: Date.now() };
};

interface SimReply {
  ready?: boolean;
  done?: string;
  error?: string;
  ms?: number;
  ids?: string[];
  failures?: number;
}
interface Sim {
  proc: ChildProcess;
  phase(p: string): Promise<SimReply>;
}

const startSim = (url: string, prefix: string, count: number): Promise<Sim> =>
  new Promise((resolve, reject) => {
    const proc = fork(
      path.resolve(__dirname, 'scale-agents.ts'),
      [url, prefix, String(count), String(M), String(INTERVAL_MS)],
      { execArgv: ['-r', 'ts-node/register/transpile-only'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    const waiters: ((m: SimReply) => void)[] = [];
    proc.on('message', (m: SimReply) => {
      if (m.ready) resolve(sim);
      else waiters.shift()?.(m);
    });
    proc.on('exit', (code) => code && reject(new Error(`simulator exited ${code}`)));
    const sim: Sim = {
      proc,
      phase: (p) =>
        new Promise((res, rej) => {
          waiters.push((m) => (m.error ? rej(new Error(m.error)) : res(m)));
          proc.send({ phase: p });
        }),
    };
  });

const rssMiB = (pid: number): number =>
  Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** Sequential cold lookups (each ID asked once per gateway) until `until`; latencies in ms. */
const coldLookups = async (gw: string, ids: string[], until: number) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const lat: number[] = [];
  let errors = 0;
  for (const id of ids) {
    if (Date.now() >= until) break;
    const t0 = process.hrtime.bigint();
    const status = await new Promise<number>((resolve) => {
      http
        .get(`${gw}/v1/allocation/${id}`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
        .on('error', () => resolve(0));
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (status === 200) lat.push(ms);
    else errors += 1;
    await sleep(20);
  }
  agent.destroy();
  return { lat, errors };
};

const runPoint = async (target: Target, backend: Backend, n: number): Promise<Point> => {
  const prefix = `scale${n}:`;
  const masters = await target.masters();
  const per = Math.ceil(n / PROCS);
  const sims = await Promise.all(
    Array.from({ length: Math.min(PROCS, n) }, (_, i) =>
      startSim(target.url, prefix, Math.min(per, n - i * per)),
    ),
  );
  const m0 = await sample(masters);
  log(`${backend} N=${n}: registering ${n} nodes`);
  await Promise.all(sims.map((s) => s.phase('nodes')));
  const m1 = await sample(masters);
  log(`${backend} N=${n}: storing ${n * M} allocations`);
  const allocIds = (await Promise.all(sims.map((s) => s.phase('allocs')))).flatMap((r) => r.ids ?? []);
  const m2 = await sample(masters);
  await Promise.all(sims.map((s) => s.phase('beat')));

  log(`${backend} N=${n}: ${K} gateways`);
  const gateways: Proc[] = [];
  for (let i = 0; i < K; i++)
    gateways.push(
      await startListening('node', [
        CLI,
        'gateway',
        '--http-addr',
        '127.0.0.1:0',
        '--redis',
        target.url,
        '--registry-prefix',
        prefix,
        '--log-level',
        'warn',
      ]),
    );
  // One subscriber like a gateway's: counts the change messages each gateway receives.
  const listener = await RedisRegistry.connect({ url: target.url, prefix });
  let messages = 0;
  let heartbeats = 0;
  listener.onChange((c) => {
    messages += 1;
    if (c.kind === 'heartbeat') heartbeats += 1;
  });
  await sleep(INTERVAL_MS); // every simulated node has heartbeated once
  log(`${backend} N=${n}: measuring ${WINDOW_S} s`);
  messages = 0;
  heartbeats = 0;
  const s0 = await sample(masters);
  const cpu0 = gateways.map((g) => procCpuMs(g.proc.pid!));
  const until = Date.now() + WINDOW_S * 1000;
  const shuffled = allocIds.sort(() => Math.random() - 0.5);
  const slice = Math.floor(shuffled.length / K);
  const lookups = await Promise.all(
    gateways.map((g, i) => coldLookups(g.url, shuffled.slice(i * slice, (i + 1) * slice), until)),
  );
  await sleep(Math.max(0, until - Date.now()));
  const s1 = await sample(masters);
  const secs = (s1.at - s0.at) / 1000;
  const cpu1 = gateways.map((g) => procCpuMs(g.proc.pid!));
  const rss = gateways.map((g) => rssMiB(g.proc.pid!));
  const msgs = messages;
  const lat = lookups.flatMap((l) => l.lat);

  await listener.close();
  for (const g of gateways) await g.stop();
  const stops = await Promise.all(sims.map((s) => s.phase('stop')));
  const hbFailures = stops.reduce((a, s) => a + (s.failures ?? 0), 0);
  if (hbFailures) log(`${backend} N=${n}: ${hbFailures} heartbeat calls failed`);
  for (const r of masters) {
    await r.flushall();
    r.disconnect();
  }
  return {
    backend,
    n,
    allocsPerNode: M,
    gateways: K,
    commandsPerSec: (s1.commands - s0.commands) / secs,
    redisCpuPct: ((s1.cpu - s0.cpu) / secs) * 100,
    bytesPerNode: (m1.memory - m0.memory) / n,
    bytesPerAlloc: (m2.memory - m1.memory) / (n * M),
    gatewayRssMiB: rss.reduce((a, b) => a + b, 0) / K,
    gatewayCpuPct: (cpu1.reduce((a, b, i) => a + b - cpu0[i]!, 0) / K / (secs * 1000)) * 100,
    coldP50Ms: lat.length ? percentile(lat, 50) : NaN,
    coldP99Ms: lat.length ? percentile(lat, 99) : NaN,
    coldErrors: lookups.reduce((a, l) => a + l.errors, 0),
    messagesPerGatewayPerSec: msgs / secs,
    heartbeatsPerSec: heartbeats / secs,
  };
};

const table = (points: Point[]): string =>
  [
    '| backend | N nodes | allocations | Redis cmd/s | Redis CPU | bytes/node | bytes/alloc | gateway RSS | gateway CPU | cold lookup p50 / p99 | messages/gateway/s |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...points.map(
      (p) =>
        `| ${p.backend === 'single' ? 'one Redis' : 'Cluster 3×2'} | ${p.n.toLocaleString('en')} | ${(p.n * p.allocsPerNode).toLocaleString('en')} | ${fmt(p.commandsPerSec, 0)} | ${fmt(p.redisCpuPct)} % | ${fmt(p.bytesPerNode, 0)} | ${fmt(p.bytesPerAlloc, 0)} | ${fmt(p.gatewayRssMiB, 0)} MiB | ${fmt(p.gatewayCpuPct)} % | ${fmt(p.coldP50Ms)} / ${fmt(p.coldP99Ms)} ms${p.coldErrors ? ` (${p.coldErrors} errors)` : ''} | ${fmt(p.messagesPerGatewayPerSec)} |`,
    ),
  ].join('\n');

/** Three small panels against N: Redis commands/s, messages per gateway per s, cold p99. */
const svg = (series: { name: string; color: string; dash?: string; points: Point[] }[]): string => {
  const panels: { title: string; y: (p: Point) => number }[] = [
    { title: 'Redis commands/s (all masters)', y: (p) => p.commandsPerSec },
    { title: 'change messages per gateway per s', y: (p) => p.messagesPerGatewayPerSec },
    { title: 'cold lookup p99 (ms)', y: (p) => p.coldP99Ms },
  ];
  const W = 300;
  const H = 220;
  const pad = { l: 50, r: 12, t: 28, b: 36 };
  const allN = series.flatMap((s) => s.points.map((p) => p.n));
  const xMax = Math.max(...allN);
  const parts: string[] = [];
  panels.forEach((panel, i) => {
    const ox = i * W;
    const ys = series.flatMap((s) => s.points.map(panel.y)).filter(Number.isFinite);
    const yMax = Math.max(1, ...ys) * 1.1;
    const X = (n: number) => ox + pad.l + (n / xMax) * (W - pad.l - pad.r);
    const Y = (v: number) => pad.t + (1 - v / yMax) * (H - pad.t - pad.b);
    parts.push(`<text x="${ox + W / 2}" y="16" text-anchor="middle" font-size="12">${panel.title}</text>`);
    parts.push(
      `<line x1="${X(0)}" y1="${Y(0)}" x2="${X(xMax)}" y2="${Y(0)}" stroke="#888"/><line x1="${X(0)}" y1="${Y(0)}" x2="${X(0)}" y2="${Y(yMax)}" stroke="#888"/>`,
    );
    for (let t = 0; t <= 4; t++) {
      const v = (yMax / 4) * t;
      parts.push(
        `<text x="${X(0) - 4}" y="${Y(v) + 4}" text-anchor="end" font-size="9">${v >= 100 ? Math.round(v) : v.toFixed(1)}</text>`,
      );
    }
    for (const n of [...new Set(allN)])
      parts.push(`<text x="${X(n)}" y="${H - pad.b + 14}" text-anchor="middle" font-size="9">${n}</text>`);
    parts.push(`<text x="${ox + W / 2}" y="${H - 6}" text-anchor="middle" font-size="10">nodes (N)</text>`);
    for (const s of series) {
      const pts = s.points.filter((p) => Number.isFinite(panel.y(p)));
      if (!pts.length) continue;
      parts.push(
        `<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} points="${pts.map((p) => `${X(p.n).toFixed(1)},${Y(panel.y(p)).toFixed(1)}`).join(' ')}"/>`,
      );
      for (const p of pts)
        parts.push(
          `<circle cx="${X(p.n).toFixed(1)}" cy="${Y(panel.y(p)).toFixed(1)}" r="2.5" fill="${s.color}"/>`,
        );
    }
  });
  const legend = series
    .map(
      (s, i) =>
        `<line x1="${20 + i * 220}" y1="${H + 12}" x2="${44 + i * 220}" y2="${H + 12}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/><text x="${50 + i * 220}" y="${H + 16}" font-size="11">${s.name}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W * panels.length}" height="${H + 26}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${parts.join('')}${legend}</svg>\n`;
};

const main = async () => {
  log(`bench:scale: N=${NS.join(',')} M=${M} K=${K} window=${WINDOW_S}s heartbeat every ${INTERVAL_MS} ms`);
  const points: Point[] = [];
  for (const b of BACKENDS) {
    log(`starting ${b === 'single' ? 'one redis-server' : 'a 3-master / 3-replica Redis Cluster'}`);
    const target = await startBackend(b);
    try {
      for (const n of NS) {
        const p = await runPoint(target, b, n);
        points.push(p);
        log(JSON.stringify(p));
      }
    } finally {
      await target.stop();
    }
  }
  fs.mkdirSync(RESULTS, { recursive: true });
  const result = { label: LABEL, at: new Date().toISOString(), intervalMs: INTERVAL_MS, points };
  fs.writeFileSync(path.join(RESULTS, `scale-${LABEL}.json`), JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(`\n${table(points)}\n`);

  const load = (label: string): Point[] => {
    const f = path.join(RESULTS, `scale-${label}.json`);
    return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, 'utf8')) as { points: Point[] }).points : [];
  };
  const after = load('after');
  const before = load('before');
  const of = (ps: Point[], b: Backend) => ps.filter((p) => p.backend === b);
  const series = [
    { name: 'one Redis', color: '#1f77b4', points: of(after, 'single') },
    { name: 'Cluster (3 masters)', color: '#d62728', points: of(after, 'cluster') },
    {
      name: 'one Redis, before (every heartbeat published)',
      color: '#7f7f7f',
      dash: '4 3',
      points: of(before, 'single'),
    },
  ].filter((s) => s.points.length > 0);
  fs.writeFileSync(SVG, svg(series));
  log(`wrote ${path.relative(process.cwd(), SVG)} and bench/results/scale-${LABEL}.json`);
};

main().catch((e: Error) => {
  process.stderr.write(`bench:scale failed: ${e.stack ?? e.message}\n`);
  process.exit(1);
});

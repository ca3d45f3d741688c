/**
 * Job-wide logs (issue 15): a job of ALLOCS allocations, each writing RATE bytes/s of lines that
 * carry their write time, followed
 *   A. through one merged stream, `GET /v1/job/:id/logs?follow=true`, and
 *   B. as ALLOCS separate streams, `GET /v1/client/fs/logs/:alloc?follow=true`, all through the
 *      same gateway,
 *   C. as ALLOCS separate streams straight to the agents (no gateway): what the agent hop costs,
 * alternating A, B and C in one run, plain and framed. Per window: delivered MB/s (goal: what is
 * written), line latency p50/p99 from write to receipt (goal p99 ≤ 50 ms), the gateway's CPU
 * (% and ms per MB delivered) and how late this process's own event loop ran (p99), which adds
 * to every latency it measures. C − 0 is the agent hop, B − C the gateway's relay, A − B the
 * merging. Run with `npm run bench:joblogs`; `BENCH_MODES=merged,separate,direct` and
 * `BENCH_KINDS=plain,framed` pick rows, `BENCH_CPU_PROF=<dir>` writes a CPU profile of the
 * gateway there, `BENCH_BASELINE_CLI=<other build>/dist/cli/main.js` adds the merged stream
 * through a second gateway of another build, windows alternating, for a same-run A/B. Loopback only; every loop is bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { seedAlloc } from '../test/helpers/seed-alloc';
import { startRedis } from '../test/helpers/redis';
import { FrameDecoder } from '../src/wire/frames';
import { procCpuMs } from './cpu';
import {
  agentArgs,
  fmt,
  gatewayArgs,
  joinTokenFile,
  median,
  percentile,
  startListening,
  type Proc,
} from './harness';

const ALLOCS = Number(process.env['BENCH_ALLOCS'] ?? 20);
const AGENTS = Number(process.env['BENCH_AGENTS'] ?? 2);
const RATE = Number(process.env['BENCH_RATE'] ?? 1_000_000);
const WINDOW_MS = Number(process.env['BENCH_WINDOW_MS'] ?? 8000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 2);
const MODES = (process.env['BENCH_MODES'] ?? 'merged,separate,direct').split(',');
const KINDS = (process.env['BENCH_KINDS'] ?? 'plain,framed').split(',');
const CPU_PROF = process.env['BENCH_CPU_PROF'];
/** `dist/cli/main.js` of another build: adds a `baseline` mode, the merged stream through it. */
const BASELINE_CLI = process.env['BENCH_BASELINE_CLI'];
const LINE = 1000;
const JOB = 'bench';

/**
 * The tasks: one process appending 1,000-byte lines `<write time ms> <seq> xxx…` to every
 * allocation's `web.stdout.N`, RATE bytes/s each, rotating at 4 MiB and keeping three files (as
 * the agent's rotator would), so the followers cross rotations too.
 */
const WRITER = `
const fs = require('node:fs'), path = require('node:path');
const dirs = JSON.parse(process.argv[1]), rate = Number(process.argv[2]), LINE = ${LINE};
const ROTATE = 4 * 1024 * 1024, KEEP = 3, pad = 'x'.repeat(LINE);
const open = (s) => fs.openSync(path.join(s.dir, 'web.stdout.' + s.idx), 'a');
const st = dirs.map((dir) => { const s = { dir, idx: 0, size: 0, seq: 0 }; s.fd = open(s); return s; });
const t0 = performance.now();
setInterval(() => {
  const due = Math.floor(((performance.now() - t0) / 1000) * rate / LINE);
  const now = (performance.timeOrigin + performance.now()).toFixed(3);
  for (const s of st) {
    let chunk = '';
    while (s.seq < due) { const head = now + ' ' + ++s.seq + ' '; chunk += head + pad.slice(head.length + 1) + '\\n'; }
    if (chunk === '') continue;
    if (s.size >= ROTATE) {
      fs.closeSync(s.fd); s.idx++; s.size = 0; s.fd = open(s);
      fs.rmSync(path.join(s.dir, 'web.stdout.' + (s.idx - KEEP)), { force: true });
    }
    fs.writeSync(s.fd, chunk); s.size += chunk.length;
  }
}, 5);
`;

interface Window {
  bytes: number;
  lines: number;
  latencies: number[];
}

/** Whole lines of one source: their write time is the first number (after a plain prefix). */
class LineMeter {
  private partial = new Map<string, string>();
  constructor(private readonly win: () => Window | undefined) {}

  add(source: string, data: Buffer, at: number): void {
    const w = this.win();
    const text = (this.partial.get(source) ?? '') + data.toString('latin1');
    const last = text.lastIndexOf('\n');
    this.partial.set(source, text.slice(last + 1));
    if (!w) return;
    w.bytes += data.length;
    for (let start = 0; start <= last;) {
      const nl = text.indexOf('\n', start);
      let body = start;
      if (text.charCodeAt(start) === 0x5b /* [ */) body = text.indexOf('] ', start) + 2;
      const written = parseFloat(text.slice(body, body + 20));
      if (Number.isFinite(written)) {
        w.lines++;
        w.latencies.push(at - written);
      }
      start = nl + 1;
    }
  }
}

const now = (): number => performance.timeOrigin + performance.now();

/** Follows `url`; every chunk goes to the meter (plain: the response is the lines; framed: frames). */
const follow = (url: string, framed: boolean, meter: LineMeter, name: string): http.ClientRequest => {
  const req = http.get(url, (res) => {
    if (res.statusCode !== 200) {
      console.error(`${url}: ${res.statusCode}; is the gateway's stream quota lower than ${ALLOCS}?`);
      process.exit(1);
    }
    const decoder = new FrameDecoder();
    res.on('data', (chunk: Buffer) => {
      const at = now();
      if (!framed) return meter.add(name, chunk, at);
      for (const f of decoder.push(chunk))
        if (f.data.length > 0) meter.add(f.source?.allocId ?? name, f.data, at);
    });
  });
  req.on('error', () => undefined);
  return req;
};

interface Row {
  mode: string;
  mbps: number;
  p50: number;
  p99: number;
  gwCpu: number;
  /** Gateway CPU ms per MB delivered. */
  gwMsPerMB: number;
  agentCpu: number;
  /** CPU % of this process (the client): it competes for the same cores. */
  benchCpu: number;
  /** p99 of this process's own event-loop delay, ms: part of every latency it measures. */
  benchLag: number;
  /** 1-minute load average at the end of the window. */
  load: number;
}

const measure = async (
  mode: string,
  urls: string[],
  framed: boolean,
  gateway: Proc,
  agents: Proc[],
): Promise<Row> => {
  let win: Window | undefined;
  const meter = new LineMeter(() => win);
  const reqs = urls.map((u, i) => follow(u, framed, meter, String(i)));
  // Settle: the streams start at the end of each log and reach steady state.
  await new Promise((r) => setTimeout(r, 1500));
  const w: Window = { bytes: 0, lines: 0, latencies: [] };
  const gw0 = procCpuMs(gateway.proc.pid!);
  const ag0 = agents.map((a) => procCpuMs(a.proc.pid!));
  const me0 = procCpuMs(process.pid);
  const lag = monitorEventLoopDelay({ resolution: 5 });
  const t0 = performance.now();
  win = w;
  lag.enable();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  lag.disable();
  win = undefined;
  const secs = (performance.now() - t0) / 1000;
  const gwMs = procCpuMs(gateway.proc.pid!) - gw0;
  const gwCpu = gwMs / 10 / secs;
  const benchCpu = (procCpuMs(process.pid) - me0) / 10 / secs;
  const agentCpu = agents.reduce((s, a, i) => s + procCpuMs(a.proc.pid!) - ag0[i]!, 0) / 10 / secs;
  for (const r of reqs) r.destroy();
  await new Promise((r) => setTimeout(r, 300));
  return {
    mode,
    mbps: w.bytes / secs / 1e6,
    p50: w.latencies.length ? percentile(w.latencies, 50) : NaN,
    p99: w.latencies.length ? percentile(w.latencies, 99) : NaN,
    gwCpu,
    gwMsPerMB: gwMs / (w.bytes / 1e6),
    agentCpu,
    benchCpu,
    benchLag: lag.percentile(99) / 1e6,
    load: os.loadavg()[0]!,
  };
};

const main = async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetgate-bench-joblogs-'));
  const redis = await startRedis();
  const procs: Proc[] = [];
  let writer: ChildProcess | undefined;
  try {
    const dataDirs = Array.from({ length: AGENTS }, (_, i) => path.join(root, `agent${i}`));
    const allocs = Array.from({ length: ALLOCS }, (_, i) => {
      const a = seedAlloc(dataDirs[i % AGENTS]!, { job: JOB, task: 'web' });
      fs.writeFileSync(path.join(a.logsDir, 'web.stdout.0'), '');
      return a;
    });
    process.stderr.write(`starting redis, a gateway, ${AGENTS} agents; ${ALLOCS} allocations...\n`);
    const join = joinTokenFile(root);
    const gateway = await startListening(
      process.execPath,
      [...(CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`] : []), ...gatewayArgs(redis.url, join)],
      { FLEETGATE_LOG_LEVEL: 'warn' },
    );
    procs.push(gateway);
    // Another build's gateway on the same Redis and agents, for a same-run A/B of a change.
    const baseline = BASELINE_CLI
      ? await startListening(process.execPath, gatewayArgs(redis.url, join, [], BASELINE_CLI), {
          FLEETGATE_LOG_LEVEL: 'warn',
        })
      : undefined;
    if (baseline) procs.push(baseline);
    const agents: Proc[] = [];
    for (const [i, dir] of dataDirs.entries()) {
      const p = await startListening(
        process.execPath,
        agentArgs(dir, ['--gateway', gateway.url, '--join-token', join, '--node-name', `bench${i}`]),
        { FLEETGATE_LOG_LEVEL: 'warn' },
      );
      agents.push(p);
      procs.push(p);
    }
    // Every allocation registered before the job stream is asked for.
    for (let i = 0; i < 100; i++) {
      const n = await new Promise<number>((resolve) =>
        http
          .get(`${gateway.url}/v1/allocations`, (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve((JSON.parse(body) as unknown[]).length));
          })
          .on('error', () => resolve(0)),
      );
      if (n >= ALLOCS) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const w = spawn(
      process.execPath,
      ['-e', WRITER, JSON.stringify(allocs.map((a) => a.logsDir)), String(RATE)],
      {
        stdio: 'ignore',
      },
    );
    writer = w;
    const written = (ALLOCS * RATE) / 1e6;
    process.stderr.write(
      `writing ${ALLOCS} x ${fmt(RATE / 1e6, 2)} MB/s = ${fmt(written)} MB/s; ${RUNS} runs of ${WINDOW_MS / 1000} s windows per mode\n`,
    );
    const q = 'follow=true&origin=end&offset=0';
    const mergedVia = (gw: Proc, plain: boolean) => [`${gw.url}/v1/job/${JOB}/logs?${q}&plain=${plain}`];
    const merged = (plain: boolean) => mergedVia(gateway, plain);
    const separate = (plain: boolean) =>
      allocs.map((a) => `${gateway.url}/v1/client/fs/logs/${a.id}?task=web&type=stdout&${q}&plain=${plain}`);
    const direct = (plain: boolean) =>
      allocs.map(
        (a, i) =>
          `${agents[i % AGENTS]!.url}/v1/client/fs/logs/${a.id}?task=web&type=stdout&${q}&plain=${plain}`,
      );
    const rows: Row[] = [];
    for (let run = 1; run <= RUNS; run++) {
      for (const plain of [true, false]) {
        const kind = plain ? 'plain' : 'framed';
        if (!KINDS.includes(kind)) continue;
        for (const [mode, urls, via] of (
          [
            ['merged', `merged (1 job stream, ${kind})`, merged(plain)],
            ['separate', `separate (${ALLOCS} alloc streams, ${kind})`, separate(plain)],
            ['direct', `direct to agents (${ALLOCS} streams, ${kind})`, direct(plain)],
            [
              'baseline',
              `merged via the baseline build (${kind})`,
              baseline ? mergedVia(baseline, plain) : [],
            ],
          ] as const
        )
          .filter(([key]) => MODES.includes(key) || (key === 'baseline' && baseline))
          .map(([key, m, u]) => [m, u, key === 'baseline' ? baseline! : gateway] as const)) {
          process.stderr.write(`  run ${run}: ${mode}...\n`);
          rows.push(await measure(mode, [...urls], !plain, via, agents));
        }
      }
    }
    console.log(
      `\nJob-wide logs: ${ALLOCS} allocations on ${AGENTS} agents writing ${fmt(written)} MB/s in total`,
    );
    console.log(
      `(${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)} at the end: a shared machine)\n`,
    );
    console.log(
      '| mode | delivered MB/s | line latency p50 ms | p99 ms | gateway CPU % | gateway CPU ms/MB | agents CPU % | bench loop lag p99 ms |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const mode of [...new Set(rows.map((r) => r.mode))]) {
      const rs = rows.filter((r) => r.mode === mode);
      const m = (f: (r: Row) => number) => fmt(median(rs.map(f)));
      console.log(
        `| ${mode} | ${m((r) => r.mbps)} | ${m((r) => r.p50)} | ${m((r) => r.p99)} | ${m((r) => r.gwCpu)} | ${m((r) => r.gwMsPerMB)} | ${m((r) => r.agentCpu)} | ${m((r) => r.benchLag)} |`,
      );
    }
    console.log(`\nmedian of ${RUNS} windows each; goal: delivered = written, p99 ≤ 50 ms`);
    for (const r of rows)
      process.stderr.write(
        `  ${r.mode}: ${fmt(r.mbps)} MB/s, p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms, gateway ${fmt(r.gwCpu)}% CPU (${fmt(r.gwMsPerMB)} ms/MB), bench ${fmt(r.benchCpu)}% CPU, lag p99 ${fmt(r.benchLag)} ms, load ${r.load.toFixed(1)}\n`,
      );
  } finally {
    writer?.kill();
    for (const p of procs.reverse()) await p.stop();
    await redis.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
};

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

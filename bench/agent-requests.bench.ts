/**
 * Small requests at one agent (issue 12), each beside a baseline measured in the same run: a bare
 * node:http server doing the same system calls (bench/bare-agent.js) and, for the health check,
 * Express 5 alone (bench/express-health.js). Load from wrk (keep-alive, one thread, 20
 * connections); the agent's CPU per request from /proc/<pid>/stat around each run.
 *
 * Allocation stats run against a real running task (the agent's own runner), then again with
 * 1,000 extra idle processes on the host: a request must cost the same with them.
 * Run: npm run build && npm run bench:agent. Loopback only; every loop is bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seedAlloc } from '../test/helpers/seed-alloc';
import { procCpuMs } from './cpu';
import { CLI, agentArgs, fmt, startListening, wrk, type Proc } from './harness';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const IDLE_PROCS = Number(process.env['BENCH_IDLE_PROCS'] ?? 1000);

interface Rate {
  rps: number;
  cpuMsPerReq: number;
}

/** wrk against one URL while measuring the server's CPU. */
const measure = async (server: Proc, url: string): Promise<Rate> => {
  const pid = server.proc.pid!;
  const before = procCpuMs(pid);
  const r = await wrk(['-t1', '-c20', `-d${SECONDS}s`, url]);
  const cpu = procCpuMs(pid) - before;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? 0);
  const total = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? 0);
  if (!total || non2xx) throw new Error(`wrk ${url}: ${r.stdout}${r.stderr}`);
  return { rps, cpuMsPerReq: cpu / total };
};

const row = (name: string, agent: Rate, base: Rate, baseName: string, goal = ''): void => {
  console.log(
    `${name.padEnd(34)} agent ${fmt(agent.rps, 0).padStart(6)} req/s ${fmt(agent.cpuMsPerReq * 1000, 0).padStart(5)} µs CPU/req   ` +
      `${baseName} ${fmt(base.rps, 0).padStart(6)} req/s ${fmt(base.cpuMsPerReq * 1000, 0).padStart(5)} µs   ` +
      `ratio ${fmt(agent.rps / base.rps, 2)}${goal ? ` (goal ${goal})` : ''}`,
  );
};

/** `count` idle processes (sleep), in one process group so one signal ends them. */
const idleProcesses = (count: number): ChildProcess => {
  const p = spawn('sh', ['-c', `for i in $(seq ${count}); do sleep 600 & done; wait`], {
    detached: true,
    stdio: 'ignore',
  });
  return p;
};

const processCount = (): number => fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;

const main = async (): Promise<void> => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetgate-bench-req-'));
  const config = path.join(dataDir, 'agent.json');
  // A real task: a shell that forks a sleep every second (so it has a child most of the time).
  fs.writeFileSync(
    config,
    JSON.stringify({
      meta: { rack: 'r1' },
      allocations: [
        { job: 'web', tasks: [{ name: 'app', command: 'sh', args: ['-c', 'while :; do sleep 1; done'] }] },
      ],
    }),
  );
  const files = seedAlloc(path.join(dataDir, 'data'), { job: 'files' });
  fs.writeFileSync(path.join(files.allocDir, 'alloc/data/small.txt'), 'x'.repeat(1000) + '\n');
  for (let i = 0; i < 10; i++)
    fs.writeFileSync(path.join(files.allocDir, `alloc/logs/web.stdout.${i}`), 'line\n');

  const agent = await startListening(
    process.execPath,
    [...agentArgs(path.join(dataDir, 'data'), ['--config', config], process.env['BENCH_CLI'] ?? CLI)],
    { FLEETGATE_LOG_LEVEL: process.env['FLEETGATE_LOG_LEVEL'] ?? 'info' },
  );
  let idle: ChildProcess | undefined;
  const procs: Proc[] = [agent];
  try {
    await new Promise((r) => setTimeout(r, 2500)); // manifest adoption and two stats samples
    const allocsDir = path.join(dataDir, 'data/client/allocs');
    const running = fs
      .readdirSync(allocsDir)
      .map(
        (f) => JSON.parse(fs.readFileSync(path.join(allocsDir, f), 'utf8')) as { ID: string; JobID: string },
      )
      .find((m) => m.JobID === 'web')!;
    const statsUrl = `${agent.url}/v1/client/allocation/${running.ID}/stats`;
    const sample = await (await fetch(statsUrl)).text();
    const sampleFile = path.join(dataDir, 'stats.json');
    fs.writeFileSync(sampleFile, sample);
    const taskPids = Object.keys((JSON.parse(sample) as { Tasks: { app: { Pids: object } } }).Tasks.app.Pids);
    console.log(`task processes seen by the sampler: ${taskPids.length} (pids ${taskPids.join(', ')})`);

    const bare = await startListening(process.execPath, [
      path.join(__dirname, 'bare-agent.js'),
      files.allocDir,
      sampleFile,
    ]);
    const expressOnly = await startListening(process.execPath, [path.join(__dirname, 'express-health.js')]);
    procs.push(bare, expressOnly);

    console.log(
      `${os.cpus().length} CPUs, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}, ${processCount()} processes; wrk -t1 -c20 -d${SECONDS}s`,
    );
    const fsq = (op: string, p: string) => `/v1/client/fs/${op}/${files.id}?path=${encodeURIComponent(p)}`;
    const cases: Array<[string, string, string, string?]> = [
      ['metadata', '/v1/client/metadata', '/v1/client/metadata'],
      ['host stats', '/v1/client/stats', '/v1/client/stats'],
      [
        'alloc stats (running task)',
        `/v1/client/allocation/${running.ID}/stats`,
        `/v1/client/allocation/x/stats`,
        '≥ 5,000 req/s per core',
      ],
      ['fs/stat', fsq('stat', 'alloc/data/small.txt'), fsq('stat', 'alloc/data/small.txt'), '≥ 0.75'],
      ['fs/ls (10 entries)', fsq('ls', 'alloc/logs'), fsq('ls', 'alloc/logs')],
      ['small cat (1 KB)', fsq('cat', 'alloc/data/small.txt'), fsq('cat', 'alloc/data/small.txt')],
    ];
    const health = await measure(agent, `${agent.url}/v1/agent/health`);
    row('health', health, await measure(bare, `${bare.url}/v1/agent/health`), 'bare');
    row(
      'health vs Express 5 alone',
      health,
      await measure(expressOnly, `${expressOnly.url}/v1/agent/health`),
      'expr',
      '≥ 0.6',
    );
    const results = new Map<string, Rate>();
    for (const [name, a, b, goal] of cases) {
      const r = await measure(agent, agent.url + a);
      results.set(name, r);
      row(name, r, await measure(bare, bare.url + b), 'bare', goal);
    }

    const before = processCount();
    idle = idleProcesses(IDLE_PROCS);
    // Forking them takes a while on a loaded machine: wait up to a minute, saying so.
    process.stderr.write(`starting ${IDLE_PROCS} idle processes...\n`);
    for (let i = 0; i < 600 && processCount() < before + IDLE_PROCS; i++)
      await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1500)); // a sampler tick with them present
    const crowded = await measure(agent, statsUrl);
    const quiet = results.get('alloc stats (running task)')!;
    console.log(
      `alloc stats with ${processCount() - before} extra idle processes (${processCount()} in all): ` +
        `${fmt(crowded.rps, 0)} req/s ${fmt(crowded.cpuMsPerReq * 1000, 0)} µs CPU/req  ` +
        `(without: ${fmt(quiet.rps, 0)} req/s ${fmt(quiet.cpuMsPerReq * 1000, 0)} µs)  CPU/req ratio ${fmt(crowded.cpuMsPerReq / quiet.cpuMsPerReq, 2)} (goal ≈ 1)`,
    );
    console.log(
      `alloc stats per agent core: ${fmt(1000 / quiet.cpuMsPerReq, 0)} req/s of CPU (1 ÷ CPU per request; goal ≥ 5,000)`,
    );
  } finally {
    if (idle?.pid) {
      try {
        process.kill(-idle.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const p of procs) await p.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
};

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

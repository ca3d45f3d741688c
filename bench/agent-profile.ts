/**
 * Where an agent request's CPU goes: runs `fleetgate agent` under `node --cpu-prof`, loads one
 * endpoint with wrk, stops the agent (which writes the profile) and prints the functions with
 * the most self time. One agent process per endpoint, so each profile holds one kind of request.
 * Run: npm run build && npm run bench:profile [-- health fs.stat alloc.stats ...]
 * Loopback only; every load is bounded (BENCH_SECONDS, default 5).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seedAlloc } from '../test/helpers/seed-alloc';
import { CLI, agentArgs, fmt, startListening, wrk } from './harness';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const TOP = Number(process.env['BENCH_TOP'] ?? 25);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The profile without its first `skipMs` (start-up: module loading, schema building). */
const after = (p: CpuProfile, skipMs: number): CpuProfile => {
  let t = 0;
  let first = 0;
  while (first < p.samples.length && t < skipMs * 1000) t += p.timeDeltas[first++] ?? 0;
  return { ...p, samples: p.samples.slice(first), timeDeltas: p.timeDeltas.slice(first) };
};

/** Self time per function (name + file + line), in microseconds, largest first. */
export const selfTimes = (p: CpuProfile): Array<{ fn: string; us: number }> => {
  const byNode = new Map(p.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const f = byNode.get(id)!.callFrame;
    const file = f.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/');
    const key = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
    totals.set(key, (totals.get(key) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  return [...totals].map(([fn, us]) => ({ fn, us })).sort((a, b) => b.us - a.us);
};

/** Self time by package (node_modules/<name>, dist/<folder>, node internals, GC, idle). */
const byArea = (p: CpuProfile): Array<{ area: string; us: number }> => {
  const byNode = new Map(p.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const f = byNode.get(id)!.callFrame;
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f.url) ?? /\/dist\/([^/]+(?:\/[^/]+)?)\//.exec(f.url);
    const area = m
      ? m[1]!
      : f.url.startsWith('node:')
        ? 'node internals'
        : f.functionName.startsWith('(')
          ? f.functionName
          : 'other';
    totals.set(area, (totals.get(area) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  return [...totals].map(([area, us]) => ({ area, us })).sort((a, b) => b.us - a.us);
};

const main = async (): Promise<void> => {
  const which = process.argv.slice(2);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetgate-profile-'));
  const profDir = path.join(dataDir, 'prof');
  const config = path.join(dataDir, 'agent.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      allocations: [
        { job: 'web', tasks: [{ name: 'app', command: 'sh', args: ['-c', 'while :; do sleep 1; done'] }] },
      ],
    }),
  );
  const files = seedAlloc(path.join(dataDir, 'data'), { job: 'files' });
  fs.writeFileSync(path.join(files.allocDir, 'alloc/data/small.txt'), 'x'.repeat(1000) + '\n');
  const fsq = (op: string, p: string) => `/v1/client/fs/${op}/${files.id}?path=${encodeURIComponent(p)}`;
  try {
    const endpoints: Record<string, (running: string) => string> = {
      health: () => '/v1/agent/health',
      'fs.stat': () => fsq('stat', 'alloc/data/small.txt'),
      'fs.ls': () => fsq('ls', 'alloc/logs'),
      'fs.cat': () => fsq('cat', 'alloc/data/small.txt'),
      'alloc.stats': (running) => `/v1/client/allocation/${running}/stats`,
    };
    for (const name of which.length ? which : ['health', 'fs.stat', 'alloc.stats']) {
      const url = endpoints[name];
      if (!url) throw new Error(`unknown endpoint ${name}: one of ${Object.keys(endpoints).join(', ')}`);
      fs.rmSync(profDir, { recursive: true, force: true });
      const spawnedAt = performance.now();
      const agent = await startListening(
        process.execPath,
        [
          '--cpu-prof',
          `--cpu-prof-dir=${profDir}`,
          ...agentArgs(path.join(dataDir, 'data'), ['--config', config], process.env['BENCH_CLI'] ?? CLI),
        ],
        { FLEETGATE_LOG_LEVEL: process.env['FLEETGATE_LOG_LEVEL'] ?? 'info' },
      );
      await new Promise((r) => setTimeout(r, 2500)); // manifest adoption, first stats samples
      const allocsDir = path.join(dataDir, 'data/client/allocs');
      const running = fs
        .readdirSync(allocsDir)
        .map(
          (f) =>
            JSON.parse(fs.readFileSync(path.join(allocsDir, f), 'utf8')) as { ID: string; JobID: string },
        )
        .find((m) => m.JobID === 'web')!.ID;
      const loadFrom = performance.now() - spawnedAt;
      const r = await wrk(['-t1', '-c20', `-d${SECONDS}s`, agent.url + url(running)]);
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? '?';
      const total = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? 0);
      await agent.stop();
      const file = fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error(`no profile written in ${profDir}`);
      // Start-up is left out (less a margin: the process starts a little after the spawn call).
      const prof = after(
        JSON.parse(fs.readFileSync(path.join(profDir, file), 'utf8')) as CpuProfile,
        loadFrom - 150,
      );
      const busy = selfTimes(prof).filter((t) => !/^\(idle\)|^\(program\)/.test(t.fn));
      const busyUs = busy.reduce((s, t) => s + t.us, 0);
      console.log(
        `\n== ${name}: ${rps} req/s, ${total} requests, ${fmt(busyUs / Math.max(1, total), 1)} µs of sampled JS+GC per request (start-up left out)`,
      );
      console.log('by area (self time, % of non-idle):');
      for (const a of byArea(prof)
        .filter((a) => a.area !== '(idle)' && a.area !== '(program)')
        .slice(0, 12))
        console.log(`  ${fmt((100 * a.us) / busyUs).padStart(5)}%  ${a.area}`);
      console.log(`top ${TOP} functions by self time:`);
      for (const t of busy.slice(0, TOP))
        console.log(
          `  ${fmt((100 * t.us) / busyUs).padStart(5)}%  ${fmt(t.us / Math.max(1, total), 2).padStart(6)} µs/req  ${t.fn}`,
        );
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
};

if (require.main === module)
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });

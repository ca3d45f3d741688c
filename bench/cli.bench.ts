/**
 * `fleetgate alloc fs ALLOC big.bin > /dev/null` for a 1 GiB file: the CLI's direct-to-node path
 * against `curl` straight at the agent's /fs/cat (the baseline: the same bytes with no client
 * logic), and the gateway path beside it. Run: node -r ts-node/register/transpile-only bench/cli.bench.ts
 * (after `npm run build`). Prints MB/s for each and the ratio CLI-direct ÷ curl-direct.
 *
 * Both are timed the same way, as whole processes from spawn to exit (what a user waits for),
 * with the CPU each process used; curl's own `time_total` (which starts after curl has started)
 * is printed beside it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRedis } from '../test/helpers/redis';
import { allocFixture } from './alloc-fixture';
import { parseTime } from './cpu';
import { agentArgs, bigFile, CLI, curlSpeed, fmt, joinTokenFile, median, startListening } from './harness';
import { tlsRows } from './tls-rows';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);

interface Run {
  mbps: number;
  cpuMs: number;
}

/**
 * Runs a command under /usr/bin/time with stdout to /dev/null, without blocking this process
 * (it drains the agent's and gateway's output); MB/s of `bytes` over its whole life, and its CPU.
 */
const processSpeed = (cmd: string, args: string[], bytes: number): Promise<Run> =>
  new Promise((resolve, reject) => {
    const devnull = fs.openSync('/dev/null', 'w');
    const p = spawn('/usr/bin/time', ['-f', '@@time %U %S %e', cmd, ...args], {
      stdio: ['ignore', devnull, 'pipe'],
    });
    let err = '';
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => {
      fs.closeSync(devnull);
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`));
      const t = parseTime(err);
      resolve({ mbps: bytes / t.wallS / 1e6, cpuMs: t.cpuMs });
    });
  });

const cliSpeed = (args: string[], bytes: number): Promise<Run> =>
  processSpeed(process.execPath, [CLI, ...args], bytes);
const curlProcess = (url: string, bytes: number): Promise<Run> =>
  processSpeed('curl', ['-sf', '-o', '/dev/null', url], bytes);

const main = async (): Promise<void> => {
  const src = bigFile();
  const size = fs.statSync(src).size;
  const fx = allocFixture();
  const target = path.join(fx.allocDir, 'alloc/data/big.bin');
  try {
    fs.linkSync(src, target);
  } catch {
    fs.copyFileSync(src, target);
  }
  const redis = await startRedis();
  const join = joinTokenFile(path.dirname(fx.dataDir));
  const gateway = await startListening(
    process.execPath,
    [CLI, 'gateway', '--http-addr', '127.0.0.1:0', '--redis', redis.url, '--node-join-token', join],
    { FLEETGATE_LOG_LEVEL: 'warn' },
  );
  const agent = await startListening(
    process.execPath,
    agentArgs(fx.dataDir, ['--gateway', gateway.url, '--join-token', join]),
    { FLEETGATE_LOG_LEVEL: 'warn' },
  );
  try {
    // Wait for the manifest to be adopted and registered.
    for (let i = 0; i < 50 && curlSpeed(`${gateway.url}/v1/allocation/${fx.id}`).bytes < 10; i++)
      await new Promise((r) => setTimeout(r, 100));
    const rel = encodeURIComponent('alloc/data/big.bin');
    const rows: Record<string, Run[]> = {
      'curl → agent /fs/cat (baseline)': [],
      'fleetgate alloc fs, direct': [],
      'curl → gateway /fs/cat': [],
      'fleetgate alloc fs, via gateway': [],
      // The same command without the copy: start-up, the gateway look-ups and the stat.
      'fleetgate alloc fs --stat, direct': [],
    };
    const curlTotal: number[] = [];
    const env = ['--address', gateway.url];
    const agentCat = `${agent.url}/v1/client/fs/cat/${fx.id}?path=${rel}`;
    for (let r = 0; r < RUNS; r++) {
      process.stderr.write(`run ${r + 1} of ${RUNS}...\n`);
      rows['curl → agent /fs/cat (baseline)']!.push(await curlProcess(agentCat, size));
      curlTotal.push(curlSpeed(agentCat).mbps);
      rows['fleetgate alloc fs, direct']!.push(
        await cliSpeed(['alloc', 'fs', '--direct', 'always', ...env, fx.id, 'alloc/data/big.bin'], size),
      );
      rows['curl → gateway /fs/cat']!.push(
        await curlProcess(`${gateway.url}/v1/client/fs/cat/${fx.id}?path=${rel}`, size),
      );
      rows['fleetgate alloc fs, via gateway']!.push(
        await cliSpeed(['alloc', 'fs', '--direct', 'never', ...env, fx.id, 'alloc/data/big.bin'], size),
      );
      rows['fleetgate alloc fs --stat, direct']!.push(
        await cliSpeed(
          ['alloc', 'fs', '--direct', 'always', '--stat', ...env, fx.id, 'alloc/data/big.bin'],
          size,
        ),
      );
    }
    process.stdout.write(
      `alloc fs of ${size} bytes, whole processes, median of ${RUNS} runs (load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}):\n`,
    );
    const med = (xs: Run[]) => ({
      mbps: median(xs.map((x) => x.mbps)),
      cpuMs: median(xs.map((x) => x.cpuMs)),
    });
    for (const [name, xs] of Object.entries(rows)) {
      const m = med(xs);
      process.stdout.write(
        `  ${name.padEnd(34)} ${fmt(m.mbps).padStart(8)} MB/s   client CPU ${fmt(m.cpuMs, 0).padStart(5)} ms   runs ${xs.map((x) => fmt(x.mbps, 0)).join(', ')}\n`,
      );
    }
    process.stdout.write(`  (curl's own time_total → agent: ${fmt(median(curlTotal))} MB/s)\n`);
    const ratio =
      med(rows['fleetgate alloc fs, direct']!).mbps / med(rows['curl → agent /fs/cat (baseline)']!).mbps;
    process.stdout.write(`ratio CLI direct ÷ curl direct: ${fmt(ratio, 2)} (goal ≥ 0.95)\n`);
    // CPU moves less with the neighbours than MB/s; the copy's own share is the CLI's CPU less
    // that of the same command with --stat (start-up, look-ups, stat).
    const cpu = (name: string) => med(rows[name]!).cpuMs;
    const copyCpu = cpu('fleetgate alloc fs, direct') - cpu('fleetgate alloc fs --stat, direct');
    process.stdout.write(
      `CPU per GiB, CLI direct ÷ curl: ${fmt(cpu('fleetgate alloc fs, direct') / cpu('curl → agent /fs/cat (baseline)'), 2)} whole process, ${fmt(copyCpu / cpu('curl → agent /fs/cat (baseline)'), 2)} for the copy alone (CLI less its --stat run)\n`,
    );
  } finally {
    await gateway.stop();
    await agent.stop();
    await redis.stop();
    fx.cleanup();
  }
};

// The TLS rows (bench/tls-rows.ts) run after the others, on stacks of their own.
main()
  .then(async () => console.log((await tlsRows({ cli: true })).join('\n')))
  .catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });

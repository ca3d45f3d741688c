/**
 * `fleetgate alloc fs ALLOC big.bin > /dev/null` for a 1 GiB file: the CLI's direct-to-node path
 * against `curl` straight at the agent's /fs/cat (the baseline: the same bytes with no client
 * logic), and the gateway path beside it. Run: node -r ts-node/register/transpile-only bench/cli.bench.ts
 * (after `npm run build`). Prints MB/s for each and the ratio CLI-direct ÷ curl-direct.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startRedis } from '../test/helpers/redis';
import { allocFixture } from './alloc-fixture';
import { agentArgs, bigFile, CLI, curlSpeed, fmt, joinTokenFile, median, startListening } from './harness';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);

/** Runs the CLI with stdout to /dev/null; returns MB/s for `bytes`. */
const cliSpeed = (args: string[], bytes: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const devnull = fs.openSync('/dev/null', 'w');
    const t0 = process.hrtime.bigint();
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', devnull, 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => {
      fs.closeSync(devnull);
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) reject(new Error(`fleetgate ${args.join(' ')} exited ${code}: ${err}`));
      else resolve(bytes / secs / 1e6);
    });
  });

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
    const rows: Record<string, number[]> = {
      'curl → agent /fs/cat (baseline)': [],
      'fleetgate alloc fs, direct': [],
      'curl → gateway /fs/cat': [],
      'fleetgate alloc fs, via gateway': [],
    };
    const env = ['--address', gateway.url];
    for (let r = 0; r < RUNS; r++) {
      rows['curl → agent /fs/cat (baseline)']!.push(
        curlSpeed(`${agent.url}/v1/client/fs/cat/${fx.id}?path=${rel}`).mbps,
      );
      rows['fleetgate alloc fs, direct']!.push(
        await cliSpeed(['alloc', 'fs', '--direct', 'always', ...env, fx.id, 'alloc/data/big.bin'], size),
      );
      rows['curl → gateway /fs/cat']!.push(
        curlSpeed(`${gateway.url}/v1/client/fs/cat/${fx.id}?path=${rel}`).mbps,
      );
      rows['fleetgate alloc fs, via gateway']!.push(
        await cliSpeed(['alloc', 'fs', '--direct', 'never', ...env, fx.id, 'alloc/data/big.bin'], size),
      );
    }
    process.stdout.write(`alloc fs of ${size} bytes, median of ${RUNS} runs (MB/s):\n`);
    for (const [name, xs] of Object.entries(rows))
      process.stdout.write(`  ${name.padEnd(34)} ${fmt(median(xs)).padStart(8)}\n`);
    const ratio =
      median(rows['fleetgate alloc fs, direct']!) / median(rows['curl → agent /fs/cat (baseline)']!);
    process.stdout.write(`ratio CLI direct ÷ curl direct: ${fmt(ratio, 2)}\n`);
  } finally {
    await gateway.stop();
    await agent.stop();
    await redis.stop();
    fx.cleanup();
  }
};

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

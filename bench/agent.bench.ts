/**
 * Agent benchmarks (issue 2), each against a baseline measured in the same run:
 *  1. cat of a 1 GiB file: agent ÷ a bare node:http server piping the same file (goal ≥ 1.0), and
 *     the CPU each spends per GiB (steadier than MB/s on a shared machine)
 *  2. /fs/stream (framed, base64) of the same file: MB/s of file data (goal ≥ 400 MB/s)
 *  3. follow latency: line appended → frame received, p50/p99 over 1,000 lines (goal p99 ≤ 20 ms),
 *     idle and while the agent streams the 1 GiB file to another client
 * Loopback only; every loop is bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { allocFixture } from './alloc-fixture';
import { procCpuMs } from './cpu';
import { CLI, agentArgs, bigFile, curlSpeed, fmt, median, percentile, startListening } from './harness';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const LINES = Number(process.env['BENCH_LINES'] ?? 1000);
/** Comma-separated subset of cat,stream,follow,follow-busy (default: all). */
const ONLY = new Set((process.env['BENCH_ONLY'] ?? 'cat,stream,follow,follow-busy').split(','));

const BARE_SERVER = `
const http = require('node:http'), fs = require('node:fs');
const file = process.argv[1];
http.createServer((req, res) => { res.writeHead(200, {'content-type': 'application/octet-stream'}); fs.createReadStream(file).pipe(res); })
  .listen(0, '127.0.0.1', function () { console.log('bare listening on http://127.0.0.1:' + this.address().port); });
`;

const followLatency = (url: string, logFile: string): Promise<number[]> =>
  new Promise((resolve, reject) => {
    const lat: number[] = [];
    let sentAt = 0;
    let i = 0;
    const req = http.get(url, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`follow answered ${res.statusCode}`));
      let seen = '';
      res.on('data', (d: Buffer) => {
        seen += d.toString();
        if (!seen.endsWith('\n')) return;
        lat.push(performance.now() - sentAt);
        seen = '';
        if (++i >= LINES) {
          req.destroy();
          resolve(lat);
        } else setTimeout(send, 2);
      });
    });
    req.on('error', (e) => (i >= LINES ? undefined : reject(e)));
    const send = () => {
      sentAt = performance.now();
      fs.appendFileSync(logFile, `line ${i}\n`);
    };
    setTimeout(send, 300);
  });

const main = async () => {
  const file = bigFile();
  const fx = allocFixture();
  fs.linkSync(file, path.join(fx.allocDir, 'alloc/data/big.bin'));
  const logFile = path.join(fx.allocDir, 'alloc/logs/web.stdout.0');
  fs.writeFileSync(logFile, '');

  const agent = await startListening(
    process.execPath,
    agentArgs(fx.dataDir, [], process.env['BENCH_CLI'] ?? CLI),
  );
  const bare = await startListening(process.execPath, ['-e', BARE_SERVER, file]);
  await new Promise((r) => setTimeout(r, 1500)); // manifest adoption (≤ 1 s)

  try {
    let bareMbps = 0;
    let bareCpuMs = 0;
    if (ONLY.has('cat') || ONLY.has('stream')) {
      const bareRuns: number[] = [];
      const bareCpu: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        const before = procCpuMs(bare.proc.pid!);
        bareRuns.push(curlSpeed(bare.url).mbps);
        bareCpu.push(procCpuMs(bare.proc.pid!) - before);
      }
      bareMbps = median(bareRuns);
      bareCpuMs = median(bareCpu);
    }
    if (ONLY.has('cat')) {
      const catUrl = `${agent.url}/v1/client/fs/cat/${fx.id}?path=alloc/data/big.bin`;
      const agentRuns: number[] = [];
      const agentCpu: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        const before = procCpuMs(agent.proc.pid!);
        agentRuns.push(curlSpeed(catUrl).mbps);
        agentCpu.push(procCpuMs(agent.proc.pid!) - before);
      }
      const catRatio = median(agentRuns) / bareMbps;
      console.log(
        `cat 1 GiB      agent ${fmt(median(agentRuns))} MB/s   bare node:http ${fmt(bareMbps)} MB/s   ratio ${fmt(catRatio, 2)} (goal ≥ 1.0)`,
      );
      console.log(
        `               server CPU per GiB: agent ${fmt(median(agentCpu), 0)} ms   bare node:http ${fmt(bareCpuMs, 0)} ms   ratio ${fmt(median(agentCpu) / bareCpuMs, 2)} (lower is better)`,
      );
    }

    if (ONLY.has('stream')) {
      const streamRuns: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        const s = curlSpeed(`${agent.url}/v1/client/fs/stream/${fx.id}?path=alloc/data/big.bin&follow=false`);
        if (s.bytes < 1024 ** 3) throw new Error(`stream returned only ${s.bytes} bytes`);
        streamRuns.push(1024 ** 3 / s.seconds / 1e6);
      }
      console.log(
        `stream 1 GiB   ${fmt(median(streamRuns))} MB/s of file data (framed base64; runs ${streamRuns.map((x) => fmt(x)).join(', ')})   goal ≥ 400 MB/s   ratio to bare cat ${fmt(median(streamRuns) / bareMbps, 2)}`,
      );
    }

    const followUrl = `${agent.url}/v1/client/fs/logs/${fx.id}?task=web&type=stdout&follow=true&plain=true&origin=end`;
    const report = (label: string, lat: number[]) => {
      const over = (ms: number) => lat.filter((x) => x > ms).length;
      if (process.env['BENCH_VERBOSE'])
        console.log(
          'slowest:',
          [...lat]
            .sort((a, b) => b - a)
            .slice(0, 25)
            .map((x) => x.toFixed(1))
            .join(' '),
        );
      console.log(
        `${label} p50 ${fmt(percentile(lat, 50), 2)} ms   p99 ${fmt(percentile(lat, 99), 2)} ms   max ${fmt(Math.max(...lat), 2)} ms   >5 ms: ${over(5)}, >10 ms: ${over(10)} of ${lat.length} lines (goal p99 ≤ 20 ms; Nomad batches 200 ms)`,
      );
    };
    if (ONLY.has('follow')) report('follow latency', await followLatency(followUrl, logFile));
    if (ONLY.has('follow-busy')) {
      // The same follower while the agent also streams the 1 GiB file to curl, back to back
      // (its thread pool and both cores busy): the case where follow latency used to tail.
      let stop = false;
      let curl: ChildProcess | undefined;
      const busy = (n: number): void => {
        if (stop || n >= 50) return;
        curl = spawn(
          'curl',
          [
            '-s',
            '-o',
            '/dev/null',
            `${agent.url}/v1/client/fs/stream/${fx.id}?path=alloc/data/big.bin&follow=false`,
          ],
          { stdio: 'ignore' },
        );
        curl.on('exit', () => busy(n + 1));
      };
      busy(0);
      await new Promise((r) => setTimeout(r, 300));
      try {
        report('follow latency while streaming 1 GiB', await followLatency(followUrl, logFile));
      } finally {
        stop = true;
        curl?.kill();
      }
    }
  } finally {
    await agent.stop();
    await bare.stop();
    fx.cleanup();
  }
};

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

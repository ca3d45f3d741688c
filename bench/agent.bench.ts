/**
 * Agent benchmarks (issue 2), each against a baseline measured in the same run:
 *  1. cat of a 1 GiB file: agent ÷ a bare node:http server piping the same file (goal ≥ 0.9)
 *  2. /fs/stream (framed, base64) of the same file: MB/s of file data (goal ≥ 400 MB/s)
 *  3. follow latency: line appended → frame received, p50/p99 over 1,000 lines (goal p99 ≤ 20 ms)
 * Loopback only; every loop is bounded.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { allocFixture } from './alloc-fixture';
import { CLI, bigFile, curlSpeed, fmt, median, percentile, startListening } from './harness';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const LINES = Number(process.env['BENCH_LINES'] ?? 1000);

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

  const agent = await startListening(process.execPath, [
    CLI, 'agent', '--http-addr', '127.0.0.1:0', '--data-dir', fx.dataDir, '--node-name', 'bench',
  ]);
  const bare = await startListening(process.execPath, ['-e', BARE_SERVER, file]);
  await new Promise((r) => setTimeout(r, 1500)); // manifest adoption (≤ 1 s)

  try {
    const catUrl = `${agent.url}/v1/client/fs/cat/${fx.id}?path=alloc/data/big.bin`;
    const agentRuns: number[] = [];
    const bareRuns: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      bareRuns.push(curlSpeed(bare.url).mbps);
      agentRuns.push(curlSpeed(catUrl).mbps);
    }
    const catRatio = median(agentRuns) / median(bareRuns);
    console.log(`cat 1 GiB      agent ${fmt(median(agentRuns))} MB/s   bare node:http ${fmt(median(bareRuns))} MB/s   ratio ${fmt(catRatio, 2)} (goal ≥ 0.9)`);

    const streamRuns: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const s = curlSpeed(`${agent.url}/v1/client/fs/stream/${fx.id}?path=alloc/data/big.bin&follow=false`);
      streamRuns.push(1024 ** 3 / s.seconds / 1e6);
    }
    console.log(`stream 1 GiB   ${fmt(median(streamRuns))} MB/s of file data (framed base64)   goal ≥ 400 MB/s   ratio to bare cat ${fmt(median(streamRuns) / median(bareRuns), 2)}`);

    const lat = await followLatency(`${agent.url}/v1/client/fs/logs/${fx.id}?task=web&type=stdout&follow=true&plain=true&origin=end`, logFile);
    console.log(`follow latency p50 ${fmt(percentile(lat, 50), 2)} ms   p99 ${fmt(percentile(lat, 99), 2)} ms over ${lat.length} lines (goal p99 ≤ 20 ms; Nomad batches 200 ms)`);
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

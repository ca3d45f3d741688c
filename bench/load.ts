import http from 'node:http';
import { percentile } from './harness';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/**
 * A closed-loop keep-alive load generator: `concurrency` requests in flight for `durationMs`.
 * It runs in the bench process while the servers under test are separate processes.
 */
export const load = (url: string, concurrency = 50, durationMs = 5000): Promise<LoadResult> =>
  new Promise((resolve) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    const lat: number[] = [];
    let errors = 0;
    let inflight = 0;
    const end = performance.now() + durationMs;
    const start = performance.now();
    const one = () => {
      if (performance.now() >= end) {
        if (--inflight === 0) {
          agent.destroy();
          const secs = (performance.now() - start) / 1000;
          resolve({ rps: lat.length / secs, p50: percentile(lat, 50), p99: percentile(lat, 99), errors });
        }
        return;
      }
      const t0 = performance.now();
      http
        .get(url, { agent }, (res) => {
          if (res.statusCode !== 200) errors++;
          res.resume();
          res.on('end', () => {
            lat.push(performance.now() - t0);
            one();
          });
        })
        .on('error', () => {
          errors++;
          setTimeout(one, 10);
        });
    };
    for (let i = 0; i < concurrency; i++) {
      inflight++;
      one();
    }
  });

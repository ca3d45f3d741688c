import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { FrameDecoder, MAX_FRAME_DATA } from '../../../../src/wire';
import { ALLOC_ID, eventually, liveGet, put, sleep, startAgent, type Agent } from './harness';

let a: Agent;
beforeAll(async () => {
  a = await startAgent();
});
afterAll(() => a.close());

describe('/fs/stream bulk path (1 MiB reads, many frames per write)', () => {
  it('a 3.3 MB file arrives intact in ≤ 64 KiB frames with end-of-data Offsets, from a mid-file start too', async () => {
    const content = randomBytes(3_300_007);
    put(a, 'alloc/data/bulk', content);
    for (const start of [0, 12_345]) {
      const body = await new Promise<Buffer>((resolve, reject) => {
        http
          .get(
            `${a.url}/v1/client/fs/stream/${ALLOC_ID}?path=alloc/data/bulk&follow=false&offset=${start}`,
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => resolve(Buffer.concat(chunks)));
            },
          )
          .on('error', reject);
      });
      // A loaded machine can take over a second, and then the 1 s heartbeat (`{}`) rightly
      // interleaves: it carries no data, so it is not part of the file's frames.
      const frames = new FrameDecoder().push(body).filter((f) => !f.heartbeat);
      let end = start;
      for (const f of frames) {
        expect(f.data.length).toBeGreaterThan(0);
        expect(f.data.length).toBeLessThanOrEqual(MAX_FRAME_DATA);
        end += f.data.length;
        expect(f.offset).toBe(end);
        expect(f.file).toBe('alloc/data/bulk');
      }
      expect(Buffer.concat(frames.map((f) => f.data)).equals(content.subarray(start))).toBe(true);
    }
  });
});

describe('follow latency', () => {
  it('appends reach a plain logs follower through inotify, well inside the 250 ms poll', async () => {
    const abs = put(a, 'alloc/logs/web.stdout.0', '');
    const l = liveGet(
      `${a.url}/v1/client/fs/logs/${ALLOC_ID}?task=web&type=stdout&follow=true&plain=true&origin=end`,
    );
    await eventually(() => l.status() === 200);
    await sleep(50);
    const lat: number[] = [];
    let expected = '';
    for (let i = 0; i < 20; i++) {
      const line = `line ${i}\n`;
      expected += line;
      const t0 = performance.now();
      fs.appendFileSync(abs, line);
      await eventually(() => l.body().length === expected.length, 2000);
      lat.push(performance.now() - t0);
    }
    l.abort();
    expect(l.body().toString()).toBe(expected);
    lat.sort((x, y) => x - y);
    // eventually() polls every 10 ms, so this bounds the delivery at ~a poll step, not 250 ms.
    expect(lat[Math.floor(lat.length / 2)]).toBeLessThan(60);
  });
});

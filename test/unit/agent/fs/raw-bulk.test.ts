import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { nextReadSize, RAW_CHUNK_MAX } from '../../../../src/agent/fs/raw';
import { ALLOC_ID, eventually, put, startAgent, type Agent } from './harness';

let a: Agent;
beforeAll(async () => {
  a = await startAgent();
});
afterAll(() => a.close());

const get = (url: string, onHeaders?: (res: http.IncomingMessage) => void) =>
  new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
    http
      .get(url, (res) => {
        onHeaders?.(res);
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });

describe('cat/readat bulk path (two reused buffers, reads up to RAW_CHUNK_MAX)', () => {
  // Three full chunks and a ragged tail: buffer reuse and the short-read end are both exercised.
  const content = randomBytes(3 * RAW_CHUNK_MAX + 12_345);
  beforeAll(() => put(a, 'alloc/data/big', content));

  it('cat of a multi-chunk file is byte-exact', async () => {
    const r = await get(`${a.url}/v1/client/fs/cat/${ALLOC_ID}?path=alloc/data/big`);
    expect(r.status).toBe(200);
    expect(r.body.equals(content)).toBe(true);
  });

  it('readat windows across chunk boundaries are byte-exact', async () => {
    for (const [offset, limit] of [
      [RAW_CHUNK_MAX - 3, RAW_CHUNK_MAX + 7],
      [1, 2 * RAW_CHUNK_MAX],
      [2 * RAW_CHUNK_MAX + 1, 0],
      [content.length - 1, 10],
    ] as const) {
      const r = await get(
        `${a.url}/v1/client/fs/readat/${ALLOC_ID}?path=alloc/data/big&offset=${offset}&limit=${limit}`,
      );
      const end = limit > 0 ? offset + limit : undefined;
      expect(r.body.equals(content.subarray(offset, end))).toBe(true);
    }
  });

  it('a slow reader gets intact bytes (a buffer is refilled only after the socket took it)', async () => {
    const r = await get(`${a.url}/v1/client/fs/cat/${ALLOC_ID}?path=alloc/data/big`, (res) => {
      res.pause();
      setTimeout(() => res.resume(), 300);
    });
    expect(r.body.equals(content)).toBe(true);
  });

  it('several concurrent cats do not mix their buffers', async () => {
    const all = await Promise.all(
      [0, 1, 2].map(() => get(`${a.url}/v1/client/fs/cat/${ALLOC_ID}?path=alloc/data/big`)),
    );
    for (const r of all) expect(r.body.equals(content)).toBe(true);
  });

  it('a reader that goes away mid-file ends the transfer without leaking the handler', async () => {
    await new Promise<void>((resolve) => {
      const req = http.get(`${a.url}/v1/client/fs/cat/${ALLOC_ID}?path=alloc/data/big`, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
    });
    await eventually(() => a.inFlight() === 0);
  });
});

describe('nextReadSize', () => {
  it('asks for one byte more than the file had left, so a small file is a single read', () => {
    expect(nextReadSize(10, 0, Infinity)).toBe(11);
    expect(nextReadSize(10, 4, Infinity)).toBe(7);
  });
  it('caps at RAW_CHUNK_MAX and at the limit; past the opened size it reads a modest chunk', () => {
    expect(nextReadSize(10 * RAW_CHUNK_MAX, 0, Infinity)).toBe(RAW_CHUNK_MAX);
    expect(nextReadSize(10 * RAW_CHUNK_MAX, 0, 5)).toBe(5);
    expect(nextReadSize(10, 20, Infinity)).toBe(64 * 1024);
    expect(nextReadSize(10, 0, 0)).toBe(0);
  });
});

import request from 'supertest';
import { ALLOC_ID, put, startAgent, type Agent } from '../unit/agent/fs/harness';

let a: Agent;
beforeAll(async () => {
  a = await startAgent();
  put(a, 'alloc/logs/web.stdout.0', 'Hello from the other side');
});
afterAll(() => a.close());

const get = (p: string) => request(a.url).get(p);

describe('ls', () => {
  it('ls without a path lists the alloc dir sorted, first entry a directory (§13.11)', async () => {
    const r = await get(`/v1/client/fs/ls/${ALLOC_ID}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    const names = (r.body as Array<{ Name: string; IsDir: boolean }>).map((e) => e.Name);
    expect(names).toEqual(['alloc', 'web']);
    expect(r.body[0].IsDir).toBe(true);
  });
});

describe('readat and cat happy paths', () => {
  it('readat with offset=1&limit=3 returns "ell" (§13.13)', async () => {
    const r = await get(`/v1/client/fs/readat/${ALLOC_ID}?path=alloc/logs/web.stdout.0&offset=1&limit=3`);
    expect(r.status).toBe(200);
    expect(r.text).toBe('ell');
  });
  it('cat returns the whole file (§13.14)', async () => {
    const r = await get(`/v1/client/fs/cat/${ALLOC_ID}?path=alloc/logs/web.stdout.0`);
    expect(r.text).toBe('Hello from the other side');
  });
});

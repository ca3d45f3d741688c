import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Identity } from '../../../src/acl/types';
import { loadAgentConfig } from '../../../src/config/agent';
import { loadGatewayConfig } from '../../../src/config/gateway';
import { ConcurrencyLimiter } from '../../../src/quota/limiter';
import { StreamQuota } from '../../../src/router/stream-quota';
import { eventually } from '../../helpers/eventually';
import { tmpDir } from '../../helpers/tmp';

/**
 * Stream quotas: the limits are configuration (flag, FLEETGATE_* variable, config file; 0 means
 * unlimited), the gateway counts per token accessor, for all anonymous callers together and in
 * total, and a slot is freed the moment its response closes. Real HTTP responses hold the slots.
 */

describe('quota limits are configuration', () => {
  it('gateway: flag over env over file, 0 accepted (unlimited), a negative refused naming the key', () => {
    const t = tmpDir();
    try {
      const file = path.join(t.dir, 'gw.json');
      fs.writeFileSync(
        file,
        JSON.stringify({
          redis: 'redis://r:1',
          max_streams_per_token: 5,
          max_streams_anonymous: 6,
          max_streams_total: 7,
        }),
      );
      const c = loadGatewayConfig(
        { config: file, maxStreamsTotal: '0' },
        { FLEETGATE_MAX_STREAMS_ANONYMOUS: '9' },
      );
      expect(c).toMatchObject({ max_streams_per_token: 5, max_streams_anonymous: 9, max_streams_total: 0 });
      expect(() => loadGatewayConfig({ redis: 'redis://r:1', maxStreamsPerToken: '-1' }, {})).toThrow(
        'config: max_streams_per_token:',
      );
    } finally {
      t.cleanup();
    }
  });

  it('agent: follower limits from flags and env, 0 accepted, a non-number refused naming the key', () => {
    const c = loadAgentConfig(
      { dataDir: '/d', maxFollowersPerAlloc: '0' },
      { FLEETGATE_MAX_FOLLOWERS_TOTAL: '12' },
    );
    expect(c).toMatchObject({ max_followers_total: 12, max_followers_per_alloc: 0 });
    expect(() => loadAgentConfig({ dataDir: '/d' }, { FLEETGATE_MAX_FOLLOWERS_TOTAL: 'many' })).toThrow(
      'config: max_followers_total:',
    );
  });
});

describe('the limiter', () => {
  it('0 is unlimited, a release is idempotent and frees the slot of its key and of the total', () => {
    const l = new ConcurrencyLimiter({ name: 'total', max: 0 }, () => ({ name: 'per', max: 0 }));
    const slots = Array.from({ length: 1000 }, () => l.tryAcquire('k'));
    expect(slots.every((s) => s.ok)).toBe(true);
    const two = new ConcurrencyLimiter({ name: 'total', max: 2 }, () => ({ name: 'per', max: 0 }));
    const a = two.tryAcquire('x');
    expect(two.tryAcquire('y').ok).toBe(true);
    expect(two.tryAcquire('z')).toMatchObject({ ok: false, scope: 'total', limit: { name: 'total' } });
    if (!a.ok) throw new Error('first slot refused');
    a.release();
    a.release();
    expect([two.current, two.heldBy('x')]).toEqual([1, 0]);
    expect(two.tryAcquire('z').ok).toBe(true);
    expect(two.tryAcquire('z').ok).toBe(false);
  });
});

const who = (accessorId: string): Identity =>
  (accessorId === 'anonymous'
    ? { type: 'anonymous', accessorId: 'anonymous' }
    : { type: 'client', accessorId }) as unknown as Identity;

describe("the gateway's stream quota on real responses", () => {
  let server: http.Server;
  let url: string;
  const quota = new StreamQuota({ perToken: 2, anonymous: 1, total: 4 });
  beforeAll(async () => {
    // Each request holds a slot for its `?as=` caller until the client goes away.
    server = http.createServer((req, res) => {
      const as = new URL(req.url ?? '/', 'http://x').searchParams.get('as') ?? 'anonymous';
      try {
        quota.admit(who(as), res);
        res.writeHead(200).write('held\n');
      } catch (e) {
        const err = e as { status?: number; message: string };
        res.writeHead(err.status ?? 500, { 'Retry-After': String(res.getHeader('Retry-After') ?? '') });
        res.end(err.message);
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const hold = (as: string) =>
    new Promise<{ status: number; body: Promise<string>; close(): void; retryAfter?: string }>(
      (resolve, reject) => {
        const req = http.get(`${url}?as=${as}`, { agent: false }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          const body = new Promise<string>((r) => {
            if (res.statusCode === 200) res.once('data', () => r(text));
            res.on('end', () => r(text));
          });
          resolve({
            status: res.statusCode ?? 0,
            body,
            close: () => req.destroy(),
            ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}),
          });
        });
        req.on('error', reject);
      },
    );

  it('per token accessor, anonymous together, and in total; a closed stream frees its slot at once', async () => {
    const a1 = await hold('tok-a');
    const a2 = await hold('tok-a');
    const a3 = await hold('tok-a');
    expect([a1.status, a2.status, a3.status]).toEqual([200, 200, 429]);
    expect(await a3.body).toContain('max_streams_per_token=2');
    expect(a3.retryAfter).toBe('1');
    // Another token has its own allowance; anonymous callers share one.
    const b1 = await hold('tok-b');
    const anon1 = await hold('anonymous');
    const anon2 = await hold('anonymous');
    expect([b1.status, anon1.status]).toEqual([200, 200]);
    // The total (4) is reached: even a token under its own limit is refused, naming the total.
    expect(anon2.status).toBe(429);
    const b2 = await hold('tok-b');
    expect(b2.status).toBe(429);
    expect(await b2.body).toContain('max_streams_total=4');
    expect(quota.current).toBe(4);
    // The open streams are untouched; closing one frees its slot as soon as the server sees it.
    a1.close();
    await eventually(() => quota.current === 3, 5000, 'slot freed');
    const b3 = await hold('tok-b');
    expect(b3.status).toBe(200);
    for (const h of [a2, b1, anon1, b3]) h.close();
    await eventually(() => quota.current === 0, 5000, 'all slots freed');
  });
});

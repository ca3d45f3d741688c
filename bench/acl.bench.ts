/**
 * ACL cost (issue 4): small requests through a real gateway to a real agent with ACLs on (ES256
 * token, both roles verifying it) ÷ the same topology with ACLs off, side by side in one run
 * (goal ≥ 0.9). Also the raw cost of one uncached ES256 verification and one cached authenticate().
 * Loopback only; every loop is bounded.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createAuthenticator, createVerifier, loadKeyMaterial } from '../src/acl';
import { MemoryRegistry } from '../src/registry/memory';
import { startRedis } from '../test/helpers/redis';
import { allocFixture } from './alloc-fixture';
import { CLI, fmt, joinTokenFile, median, startListening, type Proc } from './harness';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const LOAD_MS = Number(process.env['BENCH_LOAD_MS'] ?? 3000);
const CONCURRENCY = 32;

/** Closed-loop keep-alive load; returns req/s (a non-200 answer aborts the run). */
const load = async (url: string, headers: Record<string, string>): Promise<number> => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const end = Date.now() + LOAD_MS;
  let done = 0;
  const worker = async () => {
    while (Date.now() < end) {
      await new Promise<void>((resolve, reject) =>
        http
          .get(url, { agent, headers }, (res) => {
            if (res.statusCode !== 200) reject(new Error(`${url}: status ${res.statusCode}`));
            res.resume().on('end', resolve);
          })
          .on('error', reject),
      );
      done++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  agent.destroy();
  return done / (LOAD_MS / 1000);
};

const post = (url: string, body: unknown, token?: string): Promise<Record<string, unknown>> =>
  fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: token ? { 'X-Nomad-Token': token } : {},
  }).then(async (r) => {
    const text = await r.text();
    if (!r.ok) throw new Error(`${url}: ${r.status} ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  });

const main = async () => {
  const redisServer = await startRedis();
  const redis = redisServer.url;
  const on = allocFixture();
  const off = allocFixture();
  for (const fx of [on, off]) fs.writeFileSync(path.join(fx.allocDir, 'alloc/data/small.txt'), 'hello\n');
  const keys = path.join(on.dataDir, 'keys');
  execFileSync(process.execPath, [CLI, 'acl', 'keygen', '--out', keys], { stdio: 'ignore' });
  const procs: Proc[] = [];
  const start = async (args: string[]) => {
    const p = await startListening(process.execPath, [CLI, ...args]);
    procs.push(p);
    return p;
  };
  try {
    const join = joinTokenFile(keys);
    const gwOn = await start([
      'gateway',
      '--http-addr',
      '127.0.0.1:0',
      '--redis',
      redis,
      '--registry-prefix',
      'on:',
      '--acl',
      '--acl-key',
      path.join(keys, 'acl-private.pem'),
      '--node-join-token',
      join,
    ]);
    const gwOff = await start([
      'gateway',
      '--http-addr',
      '127.0.0.1:0',
      '--redis',
      redis,
      '--registry-prefix',
      'off:',
      '--node-join-token',
      join,
    ]);
    const agent = (dir: string, name: string, gw: string, extra: string[] = []) =>
      start([
        'agent',
        '--http-addr',
        '127.0.0.1:0',
        '--data-dir',
        dir,
        '--node-name',
        name,
        '--gateway',
        gw,
        '--join-token',
        join,
        ...extra,
      ]);
    await agent(on.dataDir, 'on', gwOn.url, ['--acl', '--acl-key', path.join(keys, 'acl-public.pem')]);
    await agent(off.dataDir, 'off', gwOff.url);
    await new Promise((r) => setTimeout(r, 1500)); // manifest adoption + registration

    const mgmt = (await post(`${gwOn.url}/v1/acl/bootstrap`, {}))['SecretID'] as string;
    await post(
      `${gwOn.url}/v1/acl/policy/reader`,
      {
        Name: 'reader',
        Description: '',
        Rules: JSON.stringify({ namespace: { default: { policy: 'read', capabilities: ['read-fs'] } } }),
      },
      mgmt,
    );
    const token = (
      await post(
        `${gwOn.url}/v1/acl/token`,
        { Name: 'bench', Type: 'client', Policies: ['reader'], ExpirationTTL: '1h' },
        mgmt,
      )
    )['SecretID'] as string;

    for (const [name, p] of [
      ['fs/stat', (id: string) => `/v1/client/fs/stat/${id}?path=alloc/data/small.txt`],
      ['alloc stats', (id: string) => `/v1/client/allocation/${id}/stats`],
    ] as const) {
      const withAcl: number[] = [];
      const without: number[] = [];
      await load(gwOn.url + p(on.id), { 'X-Nomad-Token': token }); // warm caches and connections
      await load(gwOff.url + p(off.id), {});
      for (let r = 0; r < RUNS; r++) {
        without.push(await load(gwOff.url + p(off.id), {}));
        withAcl.push(await load(gwOn.url + p(on.id), { 'X-Nomad-Token': token }));
      }
      console.log(
        `${name.padEnd(12)} ACLs on ${fmt(median(withAcl), 0)} req/s   off ${fmt(median(without), 0)} req/s   ratio ${fmt(median(withAcl) / median(without), 2)} (goal ≥ 0.9; gateway + agent both verify)`,
      );
    }

    // Raw costs, in this process: what caching saves per request.
    const km = loadKeyMaterial(path.join(keys, 'acl-public.pem'));
    const verifier = createVerifier(km);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 2000; i++) verifier.verify(token);
    const verifyUs = Number(process.hrtime.bigint() - t0) / 2000 / 1000;
    const registry = new MemoryRegistry();
    await registry.putPolicy({
      Name: 'reader',
      Description: '',
      Rules: '{"namespace":{"default":{"policy":"read"}}}',
    });
    const auth = createAuthenticator({ keyMaterial: km, registry });
    const t1 = process.hrtime.bigint();
    for (let i = 0; i < 20000; i++) await auth.authenticate(token);
    const authUs = Number(process.hrtime.bigint() - t1) / 20000 / 1000;
    auth.close();
    console.log(
      `ES256 verify, uncached ${fmt(verifyUs, 1)} µs   authenticate, cached ${fmt(authUs, 2)} µs per request`,
    );
  } finally {
    for (const p of procs.reverse()) await p.stop();
    await redisServer.stop();
    on.cleanup();
    off.cleanup();
  }
};

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

/**
 * ACL cost on small requests: the same tiny endpoint with ACLs off and on (ES256, cached
 * verification, policies from a MemoryRegistry), measured side by side in one run. Client and
 * servers share this process, so absolute req/s are low; the on/off ratio is the figure.
 * Also: raw costs of one uncached ES256 verification and one cached authenticate().
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { aclDisabled, authorize, createAuthenticator, createSigner, createVerifier, generateEs256KeyPair, parseKeyMaterial, tokenFromHeaders } from '../src/acl';
import type { Authenticator } from '../src/acl';
import { MemoryRegistry } from '../src/registry/memory';
import { ROUTES } from '../src/wire';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 3);
const CONCURRENCY = 32;

const serve = async (auth: Authenticator): Promise<{ url: string; close: () => void }> => {
  const app = express();
  app.get('/v1/client/stats', async (req, res) => {
    authorize(await auth.authenticate(tokenFromHeaders(req.headers)), ROUTES['stats.host'].capability);
    res.json({ Uptime: 1 });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/client/stats`, close: () => server.close() };
};

const load = async (url: string, token?: string): Promise<number> => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const headers = token ? { 'X-Nomad-Token': token } : {};
  const end = Date.now() + SECONDS * 1000;
  let done = 0;
  const worker = async () => {
    while (Date.now() < end) {
      await new Promise<void>((resolve, reject) => {
        http
          .get(url, { agent, headers }, (res) => {
            if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
            res.resume().on('end', () => resolve());
          })
          .on('error', reject);
      });
      done++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  agent.destroy();
  return done / SECONDS;
};

const perOp = (n: number, f: () => void): number => {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  return Number(process.hrtime.bigint() - t) / n / 1000;
};

const main = async () => {
  const pair = generateEs256KeyPair();
  const km = parseKeyMaterial(pair.privateKeyPem);
  const registry = new MemoryRegistry();
  await registry.putPolicy({ Name: 'nr', Description: '', Rules: '{"node":{"policy":"read"}}' });
  const on = createAuthenticator({ keyMaterial: parseKeyMaterial(pair.publicKeyPem), registry });
  const token = createSigner(km).sign({ accessorId: 'bench', type: 'client', policies: ['nr'], ttlMs: 3_600_000 }).token;

  const verifier = createVerifier(parseKeyMaterial(pair.publicKeyPem));
  const verifyUs = perOp(2000, () => verifier.verify(token));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 20000; i++) await on.authenticate(token);
  const authUs = Number(process.hrtime.bigint() - t0) / 20000 / 1000;

  const off = await serve(aclDisabled);
  const acl = await serve(on);
  await load(off.url); // warm-up
  const results: Array<[string, number]> = [];
  for (let round = 0; round < 2; round++) {
    results.push(['acl off', await load(off.url)]);
    results.push(['acl on ', await load(acl.url, token)]);
  }
  off.close();
  acl.close();
  on.close();
  const avg = (label: string) => results.filter(([l]) => l === label).reduce((s, [, v]) => s + v, 0) / 2;
  const offRate = avg('acl off');
  const onRate = avg('acl on ');
  process.stdout.write(
    `ES256 verify (uncached): ${verifyUs.toFixed(1)} µs/op\n` +
      `authenticate (cached):   ${authUs.toFixed(2)} µs/op\n` +
      `small requests, ${CONCURRENCY} concurrent, ${SECONDS}s × 2 rounds each, same process:\n` +
      `  acl off: ${offRate.toFixed(0)} req/s\n  acl on:  ${onRate.toFixed(0)} req/s  (${((onRate / offRate) * 100).toFixed(1)} % of off)\n`,
  );
};

void main();

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { eventually } from '../helpers/eventually';
import { CLI, startFleetgate, type FleetgateProcess } from '../helpers/fleetgate-process';
import { startRedis, type RedisServer } from '../helpers/redis';
import { seedAlloc } from '../helpers/seed-alloc';
import { tmpDir } from '../helpers/tmp';

const ROOT = path.resolve(__dirname, '../..');

/** The README's `ACL SETUSER` line for gateways, as an operator pastes it. */
const readmeAclUser = (password: string): string[] => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const line = readme.split('\n').find((l) => l.trim().startsWith('ACL SETUSER fleetgate'));
  if (!line) throw new Error('README has no "ACL SETUSER fleetgate" line');
  return line.trim().replace('>PASSWORD', `>${password}`).split(/\s+/);
};

/**
 * Redis with a password and an ACL user for gateways: redis-server with `--requirepass`, the
 * gateway user created with the README's line, a gateway on `redis://fleetgate:PASS@...` with
 * ACLs on, and an agent that joins through it (agents hold no Redis credentials at all).
 */
describe('Redis with a password and an ACL user for gateways', () => {
  let redis: RedisServer;
  let admin: Redis;
  const procs: FleetgateProcess[] = [];
  const t = tmpDir('fleetgate-redis-auth-');

  beforeAll(async () => {
    redis = await startRedis(undefined, ['--requirepass', 'admin-pw']);
    admin = new Redis({ port: redis.port, host: '127.0.0.1', password: 'admin-pw', lazyConnect: true });
    await admin.connect();
  }, 30_000);

  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    admin?.disconnect();
    await redis?.stop();
    t.cleanup();
  });

  test('Redis refuses callers without credentials', async () => {
    const r = await promisify(execFile)('redis-cli', [
      '-p',
      String(redis.port),
      'GET',
      'fleetgate:{acl}acl-bootstrap',
    ]);
    expect(r.stdout + r.stderr).toMatch(/NOAUTH/);
  });

  test("the README's gateway user runs a gateway with ACLs, agents join through it, and it cannot flush Redis", async () => {
    const [cmd, ...args] = readmeAclUser('gw-pw');
    expect(await admin.call(cmd!, ...args)).toBe('OK');
    const url = `redis://fleetgate:gw-pw@127.0.0.1:${redis.port}`;
    await promisify(execFile)(process.execPath, [CLI, 'acl', 'keygen', '--out', path.join(t.dir, 'keys')]);
    const join = path.join(t.dir, 'join-token');
    fs.writeFileSync(join, 'a-join-token-for-this-test-only-0123456789\n', { mode: 0o600 });
    const gateway = await startFleetgate([
      'gateway',
      '--http-addr',
      '127.0.0.1:0',
      '--redis',
      url,
      '--acl',
      '--acl-key',
      path.join(t.dir, 'keys/acl-private.pem'),
      '--node-join-token',
      join,
    ]);
    procs.push(gateway);
    const data = path.join(t.dir, 'node');
    fs.mkdirSync(data);
    const alloc = seedAlloc(data);
    fs.writeFileSync(path.join(alloc.logsDir, 'web.stdout.0'), 'through an authenticated registry\n');
    const agent = await startFleetgate([
      'agent',
      '--http-addr',
      '127.0.0.1:0',
      '--data-dir',
      data,
      '--gateway',
      gateway.url,
      '--join-token',
      join,
      '--acl',
      '--heartbeat-interval-ms',
      '300',
    ]);
    procs.push(agent);
    // Every kind of registry write and read the gateway does: bootstrap, a policy, a token, a
    // revocation, the node and its allocation, and a forwarded request.
    const boot = await fetch(`${gateway.url}/v1/acl/bootstrap`, { method: 'POST' });
    expect(boot.status).toBe(200);
    const mgmt = ((await boot.json()) as { SecretID: string }).SecretID;
    const h = { 'X-Nomad-Token': mgmt };
    const rules = JSON.stringify({ namespace: { default: { capabilities: ['read-fs'] } } });
    expect(
      (
        await fetch(`${gateway.url}/v1/acl/policy/fs`, {
          method: 'POST',
          headers: h,
          body: JSON.stringify({ Rules: rules }),
        })
      ).status,
    ).toBe(200);
    const tok = (await (
      await fetch(`${gateway.url}/v1/acl/token`, {
        method: 'POST',
        headers: h,
        body: JSON.stringify({ Policies: ['fs'], ExpirationTTL: '1h' }),
      })
    ).json()) as { AccessorID: string; SecretID: string };
    const cat = () =>
      fetch(`${gateway.url}/v1/client/fs/cat/${alloc.id}?path=alloc/logs/web.stdout.0`, {
        headers: { 'X-Nomad-Token': tok.SecretID },
      });
    await eventually(
      async () => (await cat()).status === 200,
      20_000,
      'the allocation served through the gateway',
    );
    expect(await (await cat()).text()).toBe('through an authenticated registry\n');
    expect(
      (await fetch(`${gateway.url}/v1/acl/token/${tok.AccessorID}`, { method: 'DELETE', headers: h })).status,
    ).toBe(200);
    await eventually(async () => (await cat()).status === 403, 5000, 'the revoked token refused');
    // What the gateway user may not do.
    const gw = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await gw.connect();
      await expect(gw.flushall()).rejects.toThrow(/NOPERM/);
      await expect(gw.set('other-app:key', '1')).rejects.toThrow(/NOPERM/);
    } finally {
      gw.disconnect();
    }
  }, 120_000);
});

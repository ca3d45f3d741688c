import { createAuthenticator } from '../../../src/acl/authenticator';
import { generateEs256KeyPair, parseKeyMaterial } from '../../../src/acl/keys';
import { createSigner } from '../../../src/acl/token';
import { FakeAclRegistry, policy } from './fake-registry';

const pair = generateEs256KeyPair();
const signer = createSigner(parseKeyMaterial(pair.privateKeyPem));
const keyMaterial = parseKeyMaterial(pair.publicKeyPem);

const setup = (opts: { cacheTtlMs?: number; now?: () => number } = {}) => {
  const registry = new FakeAclRegistry();
  const auth = createAuthenticator({
    keyMaterial,
    registry,
    cacheTtlMs: opts.cacheTtlMs ?? 60_000,
    ...(opts.now ? { now: opts.now } : {}),
  });
  return { registry, auth };
};
const client = (policies: string[], accessorId = 'acc-1') =>
  signer.sign({ accessorId, type: 'client', policies, ttlMs: 3_600_000 }).token;

describe('createAuthenticator', () => {
  it('no token without an anonymous policy → nothing allowed', async () => {
    const { auth } = setup();
    const id = await auth.authenticate(undefined);
    expect(id).toMatchObject({ accessorId: 'anonymous', type: 'anonymous' });
    expect(id.acl.allowNodeRead()).toBe(false);
    expect(id.acl.allowNamespaceOp('default', 'read-job')).toBe(false);
  });

  it('no token with an anonymous policy → that policy; a new anonymous policy applies at once', async () => {
    const { auth, registry } = setup();
    expect((await auth.authenticate(undefined)).acl.allowNodeRead()).toBe(false);
    await registry.putPolicy(policy('anonymous', { node: { policy: 'read' } }));
    expect((await auth.authenticate(undefined)).acl.allowNodeRead()).toBe(true);
  });

  it('client token: union of stored policies, missing ones skipped', async () => {
    const { auth, registry } = setup();
    await registry.putPolicy(policy('logs', { namespace: { default: { capabilities: ['read-logs'] } } }));
    await registry.putPolicy(policy('nodes', { node: { policy: 'read' } }));
    const id = await auth.authenticate(client(['logs', 'nodes', 'missing']));
    expect(id).toMatchObject({ accessorId: 'acc-1', type: 'client', policies: ['logs', 'nodes', 'missing'] });
    expect(id.acl.allowNamespaceOp('default', 'read-logs')).toBe(true);
    expect(id.acl.allowNamespaceOp('default', 'read-fs')).toBe(false);
    expect(id.acl.allowNodeRead()).toBe(true);
  });

  it('policy changed after issue takes effect for the live token', async () => {
    const { auth, registry } = setup();
    await registry.putPolicy(policy('p', { namespace: { default: { policy: 'read' } } }));
    const token = client(['p']);
    expect((await auth.authenticate(token)).acl.allowNamespaceOp('default', 'read-fs')).toBe(false);
    await registry.putPolicy(policy('p', { namespace: { default: { policy: 'write' } } }));
    expect((await auth.authenticate(token)).acl.allowNamespaceOp('default', 'read-fs')).toBe(true);
    await registry.deletePolicy('p');
    expect((await auth.authenticate(token)).acl.allowNamespaceOp('default', 'read-job')).toBe(false);
  });

  it('a policy change that lands while that policy is being read answers the new policy, not 503', async () => {
    const { auth, registry } = setup();
    await registry.putPolicy(policy('p', { namespace: { default: { policy: 'read' } } }));
    const read = registry.getPolicy.bind(registry);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let started = false;
    registry.getPolicy = async (name: string) => {
      started = true;
      await gate;
      return read(name);
    };
    const pending = auth.authenticate(client(['p']));
    while (!started) await new Promise((r) => setImmediate(r));
    // The read is in flight: the change's message deletes the key, which aborts the read.
    registry.getPolicy = read;
    await registry.putPolicy(policy('p', { namespace: { default: { policy: 'write' } } }));
    release();
    expect((await pending).acl.allowNamespaceOp('default', 'read-fs')).toBe(true);
  });

  it('revoked → ACL token not found', async () => {
    const { auth, registry } = setup();
    const token = signer.sign({ accessorId: 'rev', type: 'management' }).token;
    expect((await auth.authenticate(token)).acl.management).toBe(true);
    await registry.revokeToken('rev');
    await expect(auth.authenticate(token)).rejects.toMatchObject({
      status: 403,
      message: 'ACL token not found',
    });
  });

  it('caches lookups, and re-reads after the TTL even with no change event', async () => {
    let now = Date.now();
    const { auth, registry } = setup({ cacheTtlMs: 1000, now: () => now });
    await registry.putPolicy(policy('p', { node: { policy: 'read' } }));
    const token = client(['p']);
    await auth.authenticate(token);
    const before = { ...registry.calls };
    registry.revoked.add('acc-1'); // written without an event: the TTL must catch it
    now += 999;
    expect((await auth.authenticate(token)).acl.allowNodeRead()).toBe(true);
    expect(registry.calls.isRevoked).toBe(before.isRevoked);
    now += 2;
    await expect(auth.authenticate(token)).rejects.toMatchObject({ message: 'ACL token not found' });
    expect(registry.calls.isRevoked).toBeGreaterThan(before.isRevoked);
  });

  it('serves the cached answer while the registry is down; uncached lookups fail 503', async () => {
    let now = Date.now();
    const { auth, registry } = setup({ cacheTtlMs: 1000, now: () => now });
    await registry.putPolicy(policy('p', { node: { policy: 'read' } }));
    const token = client(['p']);
    await auth.authenticate(token);
    registry.failing = true;
    now += 1001; // the cached answers are stale now: served because the registry fails
    expect((await auth.authenticate(token)).acl.allowNodeRead()).toBe(true);
    await expect(auth.authenticate(client(['other'], 'acc-2'))).rejects.toMatchObject({ status: 503 });
  });

  it('a cached verification still expires on time', async () => {
    let now = Date.now();
    const s = createSigner(parseKeyMaterial(pair.privateKeyPem), { now: () => now });
    const { auth } = setup({ now: () => now });
    const token = s.sign({ accessorId: 'e', type: 'client', policies: [], ttlMs: 1000 }).token;
    await auth.authenticate(token);
    now += 60_000;
    await expect(auth.authenticate(token)).rejects.toMatchObject({
      status: 403,
      message: 'ACL token expired',
    });
  });

  it('inline rules are merged with stored policies', async () => {
    const { auth, registry } = setup();
    await registry.putPolicy(policy('p', { node: { policy: 'read' } }));
    const token = signer.sign({
      accessorId: 'i',
      type: 'client',
      policies: ['p'],
      rules: { namespace: { default: { capabilities: ['read-fs'] } } },
      ttlMs: 60_000,
    }).token;
    const id = await auth.authenticate(token);
    expect(id.acl.allowNodeRead()).toBe(true);
    expect(id.acl.allowNamespaceOp('default', 'read-fs')).toBe(true);
    // Another token with the same stored policies but no inline rules does not inherit them.
    expect((await auth.authenticate(client(['p'], 'j'))).acl.allowNamespaceOp('default', 'read-fs')).toBe(
      false,
    );
  });

  it('a stored policy that no longer parses grants nothing', async () => {
    const { auth, registry } = setup();
    registry.policies.set('p', { Name: 'p', Description: '', Rules: '{"node":{"policy":"root"}}' });
    expect((await auth.authenticate(client(['p']))).acl.allowNodeRead()).toBe(false);
  });

  it('close() stops listening', async () => {
    const { auth, registry } = setup();
    await registry.putPolicy(policy('p', { node: { policy: 'read' } }));
    const token = client(['p']);
    await auth.authenticate(token);
    auth.close();
    await registry.putPolicy(policy('p', { node: { policy: 'deny' } }));
    expect((await auth.authenticate(token)).acl.allowNodeRead()).toBe(true); // stale: TTL 60 s, no events
  });
});

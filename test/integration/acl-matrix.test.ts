import crypto from 'node:crypto';
import {
  createAuthenticator,
  createSigner,
  generateEs256KeyPair,
  isAllowed,
  parseKeyMaterial,
} from '../../src/acl';
import type { AclAuthenticator } from '../../src/acl';
import { RedisRegistry } from '../../src/registry/redis';
import { ROUTE_IDS, ROUTES } from '../../src/wire';
import type { RouteId } from '../../src/wire';
import { startRedis } from '../helpers/redis';
import type { RedisServer } from '../helpers/redis';
import { eventually } from '../helpers/eventually';

/**
 * The ACL matrix at the decision level: every seed route × every token case, decided by the
 * gateway's authenticator (private key, its own Redis connection) and an agent's (public key,
 * another connection) — they must agree, and match the table. The HTTP-through-processes
 * version belongs with the gateway/agent e2e suites (see the ACL report).
 */
const pair = generateEs256KeyPair();
const priv = parseKeyMaterial(pair.privateKeyPem);
const signer = createSigner(priv);
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

type Outcome = 'allow' | string;
const DENIED = 'Permission denied';
const node = (id: RouteId) => ROUTES[id].capability.kind === 'node';
const nodeRead = (id: RouteId) =>
  ROUTES[id].capability.kind === 'node' && (ROUTES[id].capability as { level: string }).level === 'read';
const needs = (id: RouteId, cap: string) => {
  const c = ROUTES[id].capability;
  return c.kind === 'namespace' && (c.anyOf as readonly string[]).includes(cap);
};

interface Case {
  name: string;
  token: () => string | undefined;
  expect: (id: RouteId) => Outcome;
  /** Registry setup done before the case runs. */
  before?: () => Promise<void>;
}

describe('ACL matrix: every seed route × token case, gateway and agent agree', () => {
  let redis: RedisServer;
  let gwReg: RedisRegistry;
  let agReg: RedisRegistry;
  let gateway: AclAuthenticator;
  let agent: AclAuthenticator;
  const put = (name: string, doc: object) =>
    gwReg.putPolicy({ Name: name, Description: '', Rules: JSON.stringify(doc) });
  const client = (policies: string[], extra: { ttlMs?: number } = {}) =>
    signer.sign({
      accessorId: crypto.randomUUID(),
      type: 'client',
      policies,
      ttlMs: extra.ttlMs ?? 3_600_000,
    }).token;

  beforeAll(async () => {
    redis = await startRedis();
    // The test's own writes (policies, revocations) must not fail on the product's 1 s command
    // timeout when a loaded machine starves Redis; the 1 s property is measured by the rows.
    const opts = { url: redis.url, prefix: 'matrix:', commandTimeoutMs: 10_000 };
    gwReg = await RedisRegistry.connect(opts);
    agReg = await RedisRegistry.connect(opts);
    gateway = createAuthenticator({ keyMaterial: priv, registry: gwReg, cacheTtlMs: 60_000 });
    agent = createAuthenticator({
      keyMaterial: parseKeyMaterial(pair.publicKeyPem),
      registry: agReg,
      cacheTtlMs: 60_000,
    });
    await put('ns-read', { namespace: { default: { policy: 'read' } } });
    await put('logs-only', { namespace: { default: { capabilities: ['read-logs'] } } });
    await put('fs-other', { namespace: { other: { capabilities: ['read-fs', 'read-logs'] } } });
    await put('node-read', { node: { policy: 'read' } });
    await put('node-write', { node: { policy: 'write' } });
  });
  afterAll(async () => {
    gateway.close();
    agent.close();
    await gwReg.close();
    await agReg.close();
    await redis.stop();
  });

  const decide = async (auth: AclAuthenticator, token: string | undefined, id: RouteId): Promise<Outcome> => {
    try {
      const identity = await auth.authenticate(token);
      return isAllowed(identity, ROUTES[id].capability, 'default') ? 'allow' : DENIED;
    } catch (e) {
      return (e as Error).message;
    }
  };
  const expectRow = async (c: Case) => {
    const token = c.token();
    for (const id of ROUTE_IDS) {
      const want = c.expect(id);
      expect({ id, gateway: await decide(gateway, token, id) }).toEqual({ id, gateway: want });
      expect({ id, agent: await decide(agent, token, id) }).toEqual({ id, agent: want });
    }
  };

  /**
   * A policy or token change must show at both roles within 1 s (Redis pub/sub invalidates both
   * caches), measured from the change: call right after it. On a miss, the row's own assertion
   * reports what differs; if the row holds by then, only not within 1 s, that is the failure.
   */
  const expectRowWithin1s = async (c: Case) => {
    const holds = () =>
      expectRow(c).then(
        () => true,
        () => false,
      );
    try {
      await eventually(holds, 1000, `"${c.name}" at the gateway and the agent`);
    } catch (late) {
      await expectRow(c);
      throw late;
    }
  };

  const expired = signer.sign({ accessorId: 'exp', type: 'client', policies: ['node-write'], ttlMs: 1000 });
  const cases: Case[] = [
    { name: 'no token, no anonymous policy', token: () => undefined, expect: () => DENIED },
    {
      name: 'namespace read (no fs, no logs)',
      token: () => client(['ns-read']),
      expect: (id) => (needs(id, 'read-job') ? 'allow' : DENIED),
    },
    {
      name: 'read-logs only: logs yes, cat no',
      token: () => client(['logs-only']),
      expect: (id) => (id === 'fs.logs' ? 'allow' : DENIED),
    },
    { name: 'read-fs in another namespace', token: () => client(['fs-other']), expect: () => DENIED },
    {
      name: 'node read',
      token: () => client(['node-read']),
      expect: (id) => (nodeRead(id) ? 'allow' : DENIED),
    },
    {
      name: 'node write',
      token: () => client(['node-write']),
      expect: (id) => (node(id) ? 'allow' : DENIED),
    },
    {
      name: 'management',
      token: () => signer.sign({ accessorId: crypto.randomUUID(), type: 'management' }).token,
      expect: () => 'allow',
    },
    {
      name: 'expired',
      token: () =>
        createSigner(priv, { now: () => Date.now() - 120_000 }).sign({
          accessorId: 'e',
          type: 'client',
          policies: ['node-write'],
          ttlMs: 1000,
        }).token,
      expect: () => 'ACL token expired',
    },
    {
      name: 'bad signature',
      token: () =>
        createSigner(parseKeyMaterial(generateEs256KeyPair().privateKeyPem)).sign({
          accessorId: 'b',
          type: 'management',
        }).token,
      expect: () => DENIED,
    },
    {
      name: 'alg: none',
      token: () =>
        `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...expired.claims, type: 'management', exp: undefined })}.`,
      expect: () => DENIED,
    },
    {
      name: 'HS256 signed with the public key',
      token: () => {
        const h = b64({ alg: 'HS256', typ: 'JWT' });
        const p = b64({ ...expired.claims, type: 'management', exp: undefined });
        return `${h}.${p}.${crypto.createHmac('sha256', pair.publicKeyPem).update(`${h}.${p}`).digest('base64url')}`;
      },
      expect: () => DENIED,
    },
    {
      name: 'wrong aud',
      token: () =>
        createSigner(priv, { audience: 'nomad' }).sign({ accessorId: 'w', type: 'management' }).token,
      expect: () => DENIED,
    },
  ];

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    await expectRow(c);
  });

  it('no token with an anonymous policy', async () => {
    await put('anonymous', { node: { policy: 'read' } });
    await expectRowWithin1s({
      name: 'anonymous',
      token: () => undefined,
      expect: (id) => (nodeRead(id) ? 'allow' : DENIED),
    });
    await gwReg.deletePolicy('anonymous');
    await expectRowWithin1s({ name: 'anonymous gone', token: () => undefined, expect: () => DENIED });
  });

  it('revoked (after being cached on both sides)', async () => {
    const token = signer.sign({ accessorId: crypto.randomUUID(), type: 'management' });
    await expectRow({ name: 'live', token: () => token.token, expect: () => 'allow' });
    await gwReg.revokeToken(token.claims.jti, 0);
    await expectRowWithin1s({
      name: 'revoked',
      token: () => token.token,
      expect: () => 'ACL token not found',
    });
  });

  it('policy changed after issue (after being cached on both sides)', async () => {
    await put('changing', { namespace: { default: { policy: 'read' } } });
    const token = client(['changing']);
    await expectRow({
      name: 'before',
      token: () => token,
      expect: (id) => (needs(id, 'read-job') ? 'allow' : DENIED),
    });
    await put('changing', { namespace: { default: { policy: 'write' } }, node: { policy: 'deny' } });
    // write: read-job, read-fs, read-logs, submit-job, alloc-lifecycle — every namespace route.
    await expectRowWithin1s({
      name: 'after',
      token: () => token,
      expect: (id) => (node(id) ? DENIED : 'allow'),
    });
  });
});

import { randomUUID } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import { createAuthenticator, createSigner, generateEs256KeyPair, parseKeyMaterial } from '../../src/acl';
import type { AclAuthenticator } from '../../src/acl';
import { CachedRegistry } from '../../src/registry/cached';
import { RedisRegistry } from '../../src/registry/redis';
import { redisKeys } from '../../src/registry/redis-keys';
import { createAclApi } from '../../src/router/acl-api';
import { startRedis, type RedisServer } from '../helpers/redis';
import { eventually, sleep } from '../helpers/eventually';

/**
 * ACL state shared by gateways through Redis stays consistent when connections blip or a
 * pub/sub message is lost: a deleted policy stays deleted, and a change whose invalidation never
 * arrived still applies within the configured maximum cache age.
 */
const pair = generateEs256KeyPair();

interface Gateway {
  app: express.Express;
  redis: RedisRegistry;
  auth: AclAuthenticator;
  close(): Promise<void>;
}

const gateway = async (url: string, prefix: string, aclMaxAgeMs?: number): Promise<Gateway> => {
  const redis = await RedisRegistry.connect({ url, prefix });
  const registry = new CachedRegistry(redis, aclMaxAgeMs !== undefined ? { aclMaxAgeMs } : {});
  const keyMaterial = parseKeyMaterial(pair.privateKeyPem);
  const auth = createAuthenticator({ keyMaterial, registry, cacheTtlMs: 100 });
  const app = express();
  app.use(createAclApi({ registry, authenticator: auth, signer: createSigner(keyMaterial) }));
  return {
    app,
    redis,
    auth,
    close: async () => {
      auth.close();
      await registry.close();
    },
  };
};

describe('ACL state across gateways', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server.stop();
  });

  test('a deleted policy stays deleted after the gateway that wrote it reconnects', async () => {
    const prefix = `res${randomUUID().slice(0, 8)}:`;
    const a = await gateway(server.url, prefix);
    const b = await gateway(server.url, prefix);
    try {
      const boot = await request(a.app).post('/v1/acl/bootstrap');
      const mgmt = { 'X-Nomad-Token': boot.body.SecretID as string };
      const rules = JSON.stringify({ namespace: { default: { policy: 'read' } } });
      await request(a.app).post('/v1/acl/policy/readers').set(mgmt).send({ Rules: rules }).expect(200);
      await request(b.app).delete('/v1/acl/policy/readers').set(mgmt).expect(200);
      await request(b.app).get('/v1/acl/policy/readers').set(mgmt).expect(404);

      // Drop every client connection: gateway A reconnects (and used to re-put what it wrote).
      const reconnected = new Promise<void>((r) => a.redis.client.once('ready', () => r()));
      await b.redis.client.client('KILL', 'TYPE', 'normal').catch(() => undefined);
      await reconnected;
      await sleep(300);
      expect(await a.redis.client.exists(redisKeys(prefix).policy('readers'))).toBe(0);
      await request(a.app).get('/v1/acl/policy/readers').set(mgmt).expect(404);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a revocation whose pub/sub message was lost applies within the maximum cache age', async () => {
    const prefix = `age${randomUUID().slice(0, 8)}:`;
    const gw = await gateway(server.url, prefix, 400);
    try {
      const boot = await request(gw.app).post('/v1/acl/bootstrap');
      const rules = JSON.stringify({ namespace: { default: { policy: 'read' } } });
      const mgmt = { 'X-Nomad-Token': boot.body.SecretID as string };
      await request(gw.app).post('/v1/acl/policy/readers').set(mgmt).send({ Rules: rules }).expect(200);
      const tok = await request(gw.app)
        .post('/v1/acl/token')
        .set(mgmt)
        .send({ Name: 'alice', Policies: ['readers'], ExpirationTTL: '1h' })
        .expect(200);
      const alice = tok.body.SecretID as string;
      const canRead = async () =>
        (await gw.auth.authenticate(alice)).acl.allowNamespaceOp('default', 'read-job');
      expect(await canRead()).toBe(true);

      // Written behind the gateway's back, with no change message: as if the invalidation was lost.
      await gw.redis.client.set(redisKeys(prefix).revoked(tok.body.AccessorID as string), '1');
      await eventually(
        async () => {
          try {
            await gw.auth.authenticate(alice);
            return false;
          } catch (e) {
            return (e as { status?: number }).status === 403;
          }
        },
        400 + 100 + 2000,
      );

      // The same for a policy removed without a message: its grant lapses too.
      const bob = await request(gw.app)
        .post('/v1/acl/token')
        .set(mgmt)
        .send({ Name: 'bob', Policies: ['readers'], ExpirationTTL: '1h' })
        .expect(200);
      const bobReads = async () =>
        (await gw.auth.authenticate(bob.body.SecretID as string)).acl.allowNamespaceOp('default', 'read-job');
      expect(await bobReads()).toBe(true);
      await gw.redis.client.del(redisKeys(prefix).policy('readers'));
      await eventually(async () => !(await bobReads()), 400 + 100 + 2000);
    } finally {
      await gw.close();
    }
  });
});

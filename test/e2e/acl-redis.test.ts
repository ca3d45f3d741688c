import express from 'express';
import request from 'supertest';
import { createAuthenticator, createSigner, generateEs256KeyPair, parseKeyMaterial } from '../../src/acl';
import type { AclAuthenticator } from '../../src/acl';
import { RedisRegistry } from '../../src/registry/redis';
import { createAclApi } from '../../src/router/acl-api';
import { startRedis } from '../helpers/redis';
import type { RedisServer } from '../helpers/redis';
import { eventually } from '../helpers/eventually';

/**
 * Gateway and agent share one Redis: a policy edit or a revocation made through the gateway's
 * ACL API must reach the agent's authenticator by pub/sub within 1 s (its cache TTL is 60 s here,
 * so only the invalidation message can explain a change).
 */
const pair = generateEs256KeyPair();

describe('ACL invalidation across processes via Redis pub/sub', () => {
  let redis: RedisServer;
  let gwReg: RedisRegistry;
  let agentReg: RedisRegistry;
  let gwAuth: AclAuthenticator;
  let agentAuth: AclAuthenticator;
  let app: express.Express;

  beforeAll(async () => {
    redis = await startRedis();
    gwReg = await RedisRegistry.connect({ url: redis.url, prefix: 'acltest:' });
    agentReg = await RedisRegistry.connect({ url: redis.url, prefix: 'acltest:' });
    gwAuth = createAuthenticator({
      keyMaterial: parseKeyMaterial(pair.privateKeyPem),
      registry: gwReg,
      cacheTtlMs: 60_000,
    });
    agentAuth = createAuthenticator({
      keyMaterial: parseKeyMaterial(pair.publicKeyPem),
      registry: agentReg,
      cacheTtlMs: 60_000,
    });
    app = express();
    app.use(
      createAclApi({
        registry: gwReg,
        authenticator: gwAuth,
        signer: createSigner(parseKeyMaterial(pair.privateKeyPem)),
      }),
    );
  });
  afterAll(async () => {
    gwAuth.close();
    agentAuth.close();
    await gwReg.close();
    await agentReg.close();
    await redis.stop();
  });

  it('policy change and revocation are seen by the other authenticator within 1 s', async () => {
    const mgmt = (await request(app).post('/v1/acl/bootstrap').expect(200)).body.SecretID as string;
    await request(app).post('/v1/acl/bootstrap').expect(400);
    const put = (rules: object) =>
      request(app)
        .post('/v1/acl/policy/ops')
        .set('X-Nomad-Token', mgmt)
        .send({ Rules: JSON.stringify(rules) })
        .expect(200);
    await put({ namespace: { default: { policy: 'read' } } });
    const token = (
      await request(app)
        .post('/v1/acl/token')
        .set('X-Nomad-Token', mgmt)
        .send({ Policies: ['ops'], ExpirationTTL: '1h' })
        .expect(200)
    ).body as { SecretID: string; AccessorID: string };

    const agentFs = async () =>
      (await agentAuth.authenticate(token.SecretID)).acl.allowNamespaceOp('default', 'read-fs');
    expect(await agentFs()).toBe(false); // now cached at the agent

    await put({ namespace: { default: { policy: 'write' } } });
    expect(await eventually(agentFs, 1000)).toBeLessThan(1000);

    await request(app).delete(`/v1/acl/token/${token.AccessorID}`).set('X-Nomad-Token', mgmt).expect(200);
    const revoked = async () =>
      agentAuth.authenticate(token.SecretID).then(
        () => false,
        (e: { message: string }) => e.message === 'ACL token not found',
      );
    expect(await eventually(revoked, 1000)).toBeLessThan(1000);
  });
});

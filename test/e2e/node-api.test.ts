import { randomUUID } from 'node:crypto';
import os from 'node:os';
import request from 'supertest';
import { createAuthenticator, createSigner, generateEs256KeyPair, parseKeyMaterial } from '../../src/acl';
import { AclStateFeed } from '../../src/acl/state-feed';
import { fingerprintResources } from '../../src/agent/stats/node-resources';
import { RemoteForwarder } from '../../src/forward/remote';
import { silentLogger } from '../../src/log/logger';
import { asNodeId } from '../../src/wire';
import { NodeAdmission } from '../../src/registry/admission';
import { sleep } from '../helpers/eventually';
import { MemoryRegistry } from '../../src/registry/memory';
import { createAclApi } from '../../src/router/acl-api';
import { createGatewayApp } from '../../src/router/app';
import { createNodeApi } from '../../src/router/node-api';

/** The gateway's node API in process: admission, secrets, and the blocking ACL watch. */
const keys = parseKeyMaterial(generateEs256KeyPair().privateKeyPem);

const setup = () => {
  const registry = new MemoryRegistry();
  const authenticator = createAuthenticator({ keyMaterial: keys, registry });
  const aclFeed = new AclStateFeed({ registry, keys, maxAgeMs: 10_000 });
  const fwd = new RemoteForwarder();
  const app = createGatewayApp({
    registry,
    forwarder: fwd,
    authenticator,
    logger: silentLogger(),
    aclApi: createAclApi({ registry, authenticator, signer: createSigner(keys) }),
    nodeApi: createNodeApi({
      admission: new NodeAdmission(registry, silentLogger()),
      authenticator,
      aclFeed,
      logger: silentLogger(),
    }),
  });
  return { app, registry, close: () => (aclFeed.close(), fwd.close(), authenticator.close()) };
};

const nodeBody = (id: string) => ({
  Node: {
    ID: id,
    Name: 'n',
    Datacenter: 'dc1',
    HTTPAddr: '127.0.0.1:1',
    AdvertiseURL: 'http://127.0.0.1:1',
    Meta: {},
    Version: '1',
  },
  TTLMs: 60_000,
});

describe('node API', () => {
  test('join token → secret; the ACL watch answers at once on a revocation and holds otherwise', async () => {
    const { app, close } = setup();
    try {
      const boot = await request(app).post('/v1/acl/bootstrap').expect(200);
      const mgmt = boot.body.SecretID as string;
      await request(app).post('/v1/acl/join-token').send({}).expect(403);
      const join = await request(app)
        .post('/v1/acl/join-token')
        .set('X-Nomad-Token', mgmt)
        .send({ ExpirationTTL: '1h' })
        .expect(200);
      const id = randomUUID();
      const reg = await request(app)
        .put(`/v1/internal/node/${id}/register`)
        .set('X-Fleetgate-Join-Token', join.body.SecretID as string)
        .send(nodeBody(id))
        .expect(200);
      const secret = reg.body.SecretID as string;
      expect(secret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      // Again with the join token only: the ID is taken.
      await request(app)
        .put(`/v1/internal/node/${id}/register`)
        .set('X-Fleetgate-Join-Token', join.body.SecretID as string)
        .send(nodeBody(id))
        .expect(403);
      await request(app).put(`/v1/internal/node/${id}/heartbeat`).send({ TTLMs: 1000 }).expect(403);
      await request(app)
        .put(`/v1/internal/node/${id}/heartbeat`)
        .set('X-Fleetgate-Node-Secret', secret)
        .send({ TTLMs: 1000 })
        .expect(200);

      const first = await request(app)
        .get(`/v1/internal/node/${id}/acl?wait=0`)
        .set('X-Fleetgate-Node-Secret', secret)
        .expect(200);
      expect(first.body.PublicKey).toMatch(/BEGIN PUBLIC KEY/);
      const etag = first.body.ETag as string;
      const held = request(app)
        .get(`/v1/internal/node/${id}/acl?wait=20000&etag=${etag}`)
        .set('X-Fleetgate-Node-Secret', secret)
        .then((r) => r);
      await sleep(200);
      const t0 = Date.now();
      await request(app).delete(`/v1/acl/token/${randomUUID()}`).set('X-Nomad-Token', mgmt).expect(200);
      const changed = await held;
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(changed.body.ETag).not.toBe(etag);
      expect(changed.body.Revoked).toHaveLength(1);
      const fresh = randomUUID();
      await request(app)
        .delete(`/v1/acl/join-token/${join.body.AccessorID as string}`)
        .set('X-Nomad-Token', mgmt)
        .expect(200);
      await request(app)
        .put(`/v1/internal/node/${fresh}/register`)
        .set('X-Fleetgate-Join-Token', join.body.SecretID as string)
        .send(nodeBody(fresh))
        .expect(403);
    } finally {
      close();
    }
  });

  test("a node's metadata keys arrive whole: __proto__ and constructor are ordinary keys", async () => {
    const { app, close } = setup();
    try {
      const mgmt = (await request(app).post('/v1/acl/bootstrap').expect(200)).body.SecretID as string;
      const join = await request(app)
        .post('/v1/acl/join-token')
        .set('X-Nomad-Token', mgmt)
        .send({})
        .expect(200);
      const id = randomUUID();
      // Raw JSON: an object literal with a `__proto__` key would not carry it as a key.
      const body = JSON.stringify(nodeBody(id)).replace(
        '"Meta":{}',
        '"Meta":{"__proto__":"p","constructor":"c","rack":"r1"}',
      );
      await request(app)
        .put(`/v1/internal/node/${id}/register`)
        .set('X-Fleetgate-Join-Token', join.body.SecretID as string)
        .set('Content-Type', 'application/json')
        .send(body)
        .expect(200);
      const read = await request(app).get(`/v1/node/${id}`).set('X-Nomad-Token', mgmt).expect(200);
      const meta = JSON.parse(read.text).Meta as Record<string, string>;
      expect(Object.keys(meta).sort()).toEqual(['__proto__', 'constructor', 'rack']);
      expect(meta['__proto__']).toBe('p');
    } finally {
      close();
    }
  });

  test("a node's measured NodeResources reach /v1/node/:id; a malformed one is 400", async () => {
    const { app, close } = setup();
    try {
      const mgmt = (await request(app).post('/v1/acl/bootstrap').expect(200)).body.SecretID as string;
      const join = (
        await request(app).post('/v1/acl/join-token').set('X-Nomad-Token', mgmt).send({}).expect(200)
      ).body.SecretID as string;
      const resources = await fingerprintResources(os.tmpdir(), '127.0.0.1');
      const id = randomUUID();
      const register = (r: unknown) =>
        request(app)
          .put(`/v1/internal/node/${id}/register`)
          .set('X-Fleetgate-Join-Token', join)
          .send({ ...nodeBody(id), Node: { ...nodeBody(id).Node, NodeResources: r } });
      await register({ ...resources, Memory: { MemoryMB: -1 } }).expect(400);
      await register(resources).expect(200);
      const read = await request(app).get(`/v1/node/${id}`).set('X-Nomad-Token', mgmt).expect(200);
      expect(read.body.NodeResources).toEqual(resources);
      expect(read.body.NodeResources.Cpu.TotalCpuCores).toBe(os.cpus().length);
    } finally {
      close();
    }
  });

  test('credentials are checked from the headers before the body is read; a lost node is told to join again', async () => {
    const id = randomUUID();
    const own = 'a'.repeat(43);
    const { app, registry, close } = setup();
    try {
      // A body that does not parse: refused for the credentials (403/410), never read (400).
      await request(app)
        .put(`/v1/internal/node/${id}/register`)
        .set('X-Fleetgate-Join-Token', 'nope.nope')
        .set('Content-Type', 'application/json')
        .send('{not json')
        .expect(403);
      await request(app)
        .put(`/v1/internal/node/${id}/register`)
        .set('Content-Type', 'application/json')
        .send('{not json')
        .expect(410);
      const boot = await request(app).post('/v1/acl/bootstrap').expect(200);
      const join = await request(app)
        .post('/v1/acl/join-token')
        .set('X-Nomad-Token', boot.body.SecretID as string)
        .send({})
        .expect(200);
      // The agent makes its own secret and presents it with the join token.
      const reg = await request(app)
        .put(`/v1/internal/node/${id}/register`)
        .set('X-Fleetgate-Join-Token', join.body.SecretID as string)
        .set('X-Fleetgate-Node-Secret', own)
        .send(nodeBody(id))
        .expect(200);
      expect(reg.body).toEqual({ NodeID: id });
      await request(app)
        .put(`/v1/internal/node/${randomUUID()}/register`)
        .set('X-Fleetgate-Join-Token', join.body.SecretID as string)
        .send(nodeBody(id))
        .expect(400);
      expect(await registry.nodeSecret(asNodeId(id))).toBeDefined();
    } finally {
      close();
    }
    // The registry lost everything (a gateway on an empty registry: Redis restarted empty).
    const wiped = setup();
    try {
      const beat = () =>
        request(wiped.app)
          .put(`/v1/internal/node/${id}/heartbeat`)
          .set('X-Fleetgate-Node-Secret', own)
          .send({ TTLMs: 1000 });
      expect((await beat().expect(410)).text).toMatch(/register again with a join token/);
      // The secret alone does not re-admit the node: it must join again.
      await request(wiped.app)
        .put(`/v1/internal/node/${id}/register`)
        .set('X-Fleetgate-Node-Secret', own)
        .send(nodeBody(id))
        .expect(410);
      const boot = await request(wiped.app).post('/v1/acl/bootstrap').expect(200);
      const join = (
        await request(wiped.app)
          .post('/v1/acl/join-token')
          .set('X-Nomad-Token', boot.body.SecretID as string)
          .send({})
          .expect(200)
      ).body.SecretID as string;
      await request(wiped.app)
        .put(`/v1/internal/node/${id}/register`)
        .set('X-Fleetgate-Join-Token', join)
        .set('X-Fleetgate-Node-Secret', own)
        .send(nodeBody(id))
        .expect(200);
      await beat().expect(200);
      // Re-joined: from now on a join token with another secret cannot take the identity.
      await request(wiped.app)
        .put(`/v1/internal/node/${id}/register`)
        .set('X-Fleetgate-Join-Token', join)
        .set('X-Fleetgate-Node-Secret', 'b'.repeat(43))
        .send(nodeBody(id))
        .expect(403);
    } finally {
      wiped.close();
    }
  });
});

import express from 'express';
import request from 'supertest';
import {
  aclDisabled,
  createAuthenticator,
  createSigner,
  generateEs256KeyPair,
  parseKeyMaterial,
  tokenFromHeaders,
} from '../../src/acl';
import type { AclAuthenticator } from '../../src/acl';
import { MemoryRegistry } from '../../src/registry/memory';
import { createAclApi } from '../../src/router/acl-api';

const pair = generateEs256KeyPair();
const gatewayKey = parseKeyMaterial(pair.privateKeyPem);

/** A small app: the ACL API plus one probe route showing what a token may do. */
const makeApp = (opts: { allowNonExpiring?: boolean } = {}) => {
  const registry = new MemoryRegistry();
  const authenticator = createAuthenticator({ keyMaterial: gatewayKey, registry });
  const app = express();
  app.use(createAclApi({ registry, authenticator, signer: createSigner(gatewayKey), ...opts }));
  // Proves the ACL router neither parses bodies of other routes nor answers them.
  app.post('/probe', (req, res) => {
    let n = 0;
    req.on('data', (d: Buffer) => (n += d.length));
    req.on('end', () => res.json({ bytes: n, body: (req as { body?: unknown }).body ?? null }));
  });
  app.get('/whoami', async (req, res) => {
    const id = await authenticator
      .authenticate(tokenFromHeaders(req.headers))
      .catch((e: { status: number; message: string }) => e);
    if ('status' in id) return void res.status(id.status).send(id.message);
    res.json({
      accessor: id.accessorId,
      nodeRead: id.acl.allowNodeRead(),
      fs: id.acl.allowNamespaceOp('default', 'read-fs'),
    });
  });
  return { app, registry, authenticator };
};

const bootstrap = async (app: express.Express): Promise<string> => {
  const res = await request(app).post('/v1/acl/bootstrap').expect(200);
  return res.body.SecretID as string;
};

describe('ACL HTTP API', () => {
  let ctx: ReturnType<typeof makeApp>;
  let mgmt: string;
  beforeEach(async () => {
    ctx = makeApp();
    mgmt = await bootstrap(ctx.app);
  });
  afterEach(() => (ctx.authenticator as AclAuthenticator).close());

  it('bootstrap returns a management token once; the second call is refused', async () => {
    const who = await request(ctx.app).get('/v1/acl/token/self').set('X-Nomad-Token', mgmt).expect(200);
    expect(who.body).toMatchObject({
      Type: 'management',
      Name: 'Bootstrap Token',
      SecretID: mgmt,
      ExpirationTime: null,
    });
    const again = await request(ctx.app).post('/v1/acl/bootstrap').expect(400);
    expect(again.text).toBe('ACL bootstrap already done');
    expect(again.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('policy CRUD with validation', async () => {
    const rules = JSON.stringify({ namespace: { default: { policy: 'write' } }, node: { policy: 'read' } });
    await request(ctx.app)
      .post('/v1/acl/policy/dev')
      .set('X-Nomad-Token', mgmt)
      .send({ Name: 'dev', Description: 'd', Rules: rules })
      .expect(200);
    const got = await request(ctx.app).get('/v1/acl/policy/dev').set('X-Nomad-Token', mgmt).expect(200);
    expect(got.body).toMatchObject({ Name: 'dev', Description: 'd', Rules: rules });
    const list = await request(ctx.app).get('/v1/acl/policies').set('X-Nomad-Token', mgmt).expect(200);
    expect(list.body.map((p: { Name: string }) => p.Name)).toEqual(['dev']);

    const bad = await request(ctx.app)
      .post('/v1/acl/policy/bad')
      .set('X-Nomad-Token', mgmt)
      .send({ Rules: '{"namespace":{"default":{"policy":"list"}}}' })
      .expect(400);
    expect(bad.text).toMatch(
      /^failed to parse rules: namespace\.default\.policy: invalid namespace policy "list"/,
    );
    expect(
      (
        await request(ctx.app)
          .post('/v1/acl/policy/x')
          .set('X-Nomad-Token', mgmt)
          .send({ Name: 'y', Rules: '{}' })
          .expect(400)
      ).text,
    ).toBe('ACL policy name does not match request path');
    expect(
      (
        await request(ctx.app)
          .post('/v1/acl/policy/x')
          .set('X-Nomad-Token', mgmt)
          .send('{not json')
          .expect(400)
      ).text,
    ).toMatch(/^Request decode failed/);
    await request(ctx.app).post('/v1/acl/policy/x').set('X-Nomad-Token', mgmt).send({}).expect(400);

    await request(ctx.app).delete('/v1/acl/policy/dev').set('X-Nomad-Token', mgmt).expect(200);
    expect(
      (await request(ctx.app).get('/v1/acl/policy/dev').set('X-Nomad-Token', mgmt).expect(404)).text,
    ).toBe('ACL policy not found');
  });

  it('a revocation lasts as long as the revoked token could be used, and no longer', async () => {
    let now = Date.now();
    const registry = new MemoryRegistry({ now: () => now });
    const authenticator = createAuthenticator({ keyMaterial: gatewayKey, registry });
    const app = express().use(createAclApi({ registry, authenticator, signer: createSigner(gatewayKey) }));
    try {
      const root = (await request(app).post('/v1/acl/bootstrap').expect(200)).body.SecretID as string;
      await request(app)
        .put('/v1/acl/policy/p')
        .set('X-Nomad-Token', root)
        .send({ Rules: '{"node":{"policy":"read"}}' });
      const short = (
        await request(app)
          .post('/v1/acl/token')
          .set('X-Nomad-Token', root)
          .send({ Type: 'client', Policies: ['p'], ExpirationTTL: '1h' })
          .expect(200)
      ).body as { AccessorID: string; ExpirationTime: string };
      const outside = '3f1f0b8e-0000-4000-8000-000000000000'; // a token this gateway never issued
      for (const id of [short.AccessorID, outside]) {
        await request(app).delete(`/v1/acl/token/${id}`).set('X-Nomad-Token', root).expect(200);
        expect(await registry.isRevoked(id)).toBe(true);
      }
      // Past the token's expiry (plus the verifiers' clock tolerance) nothing can use it: the
      // revocation is dropped. One the gateway did not issue has no known expiry: kept.
      now = Date.parse(short.ExpirationTime) + 61_000;
      expect(await registry.isRevoked(short.AccessorID)).toBe(false);
      expect(await registry.isRevoked(outside)).toBe(true);
    } finally {
      authenticator.close();
    }
  });

  it('token create (Go durations), self, use, and revoke', async () => {
    const rules = JSON.stringify({ namespace: { default: { capabilities: ['read-fs'] } } });
    await request(ctx.app)
      .put('/v1/acl/policy/fs')
      .set('X-Nomad-Token', mgmt)
      .send({ Rules: rules })
      .expect(200);
    const before = Date.now();
    const created = await request(ctx.app)
      .post('/v1/acl/token')
      .set('Authorization', `Bearer ${mgmt}`)
      .send({ Name: 'ci', Type: 'client', Policies: ['fs'], ExpirationTTL: '1h30m' })
      .expect(200);
    const { SecretID, AccessorID, ExpirationTime } = created.body as {
      SecretID: string;
      AccessorID: string;
      ExpirationTime: string;
    };
    expect(created.body).toMatchObject({ Type: 'client', Policies: ['fs'], Name: 'ci' });
    expect(Date.parse(ExpirationTime) - before).toBeGreaterThan(5_400_000 - 2000);
    expect((await request(ctx.app).get('/whoami').set('X-Nomad-Token', SecretID).expect(200)).body).toEqual({
      accessor: AccessorID,
      nodeRead: false,
      fs: true,
    });
    expect(
      (await request(ctx.app).get('/v1/acl/token/self').set('X-Nomad-Token', SecretID).expect(200)).body,
    ).toMatchObject({ AccessorID, Name: 'ci', Policies: ['fs'] });

    // A client token sees only its own policies and cannot manage anything.
    expect(
      (await request(ctx.app).get('/v1/acl/policies').set('X-Nomad-Token', SecretID).expect(200)).body,
    ).toHaveLength(1);
    expect(
      (
        await request(ctx.app)
          .post('/v1/acl/token')
          .set('X-Nomad-Token', SecretID)
          .send({ Policies: ['fs'], ExpirationTTL: '1h' })
          .expect(403)
      ).text,
    ).toBe('Permission denied');
    await request(ctx.app)
      .post('/v1/acl/policy/fs')
      .set('X-Nomad-Token', SecretID)
      .send({ Rules: '{}' })
      .expect(403);
    await request(ctx.app).delete(`/v1/acl/token/${AccessorID}`).set('X-Nomad-Token', SecretID).expect(403);
    await request(ctx.app)
      .post('/v1/acl/token')
      .send({ Policies: ['fs'], ExpirationTTL: '1h' })
      .expect(403);

    await request(ctx.app).delete(`/v1/acl/token/${AccessorID}`).set('X-Nomad-Token', mgmt).expect(200);
    // MemoryRegistry delivers the change on a microtask.
    await new Promise((r) => setImmediate(r));
    expect((await request(ctx.app).get('/whoami').set('X-Nomad-Token', SecretID).expect(403)).text).toBe(
      'ACL token not found',
    );
  });

  it('token create validation', async () => {
    const post = (body: object) =>
      request(ctx.app).post('/v1/acl/token').set('X-Nomad-Token', mgmt).send(body);
    await request(ctx.app)
      .post('/v1/acl/policy/p')
      .set('X-Nomad-Token', mgmt)
      .send({ Rules: '{"node":{"policy":"read"}}' })
      .expect(200);
    expect((await post({ Policies: ['p'] }).expect(400)).text).toMatch(/ExpirationTTL is required/);
    expect((await post({ Policies: ['p'], ExpirationTTL: '8 hours' }).expect(400)).text).toMatch(
      /invalid duration/,
    );
    expect((await post({ Policies: [], ExpirationTTL: '1h' }).expect(400)).text).toBe(
      'client token missing policies',
    );
    expect((await post({ Policies: ['nope'], ExpirationTTL: '1h' }).expect(400)).text).toBe(
      'cannot find policy nope',
    );
    expect((await post({ Type: 'management', Policies: ['p'] }).expect(400)).text).toMatch(
      /management token cannot/,
    );
    expect((await post({ Type: 'root', Policies: ['p'] }).expect(400)).text).toMatch(/Type must be/);
    const m = await post({ Type: 'management', Name: 'ops' }).expect(200);
    expect(m.body).toMatchObject({ Type: 'management', ExpirationTime: null });
    const inline = await post({ Rules: '{"node":{"policy":"write"}}', ExpirationTTL: '30m' }).expect(200);
    expect(
      (await request(ctx.app).get('/whoami').set('X-Nomad-Token', inline.body.SecretID).expect(200)).body
        .nodeRead,
    ).toBe(true);
  });

  it('non-expiring client tokens when allowed', async () => {
    const c = makeApp({ allowNonExpiring: true });
    const m = await bootstrap(c.app);
    await request(c.app)
      .post('/v1/acl/policy/p')
      .set('X-Nomad-Token', m)
      .send({ Rules: '{"node":{"policy":"read"}}' })
      .expect(200);
    const t = await request(c.app)
      .post('/v1/acl/token')
      .set('X-Nomad-Token', m)
      .send({ Policies: ['p'], ExpirationTTL: '0s' })
      .expect(200);
    expect(t.body.ExpirationTime).toBeNull();
    (c.authenticator as AclAuthenticator).close();
  });

  it('anonymous policy applies to requests without a token', async () => {
    expect((await request(ctx.app).get('/whoami').expect(200)).body.nodeRead).toBe(false);
    await request(ctx.app)
      .post('/v1/acl/policy/anonymous')
      .set('X-Nomad-Token', mgmt)
      .send({ Rules: '{"node":{"policy":"read"}}' })
      .expect(200);
    await new Promise((r) => setImmediate(r));
    expect((await request(ctx.app).get('/whoami').expect(200)).body.nodeRead).toBe(true);
    expect((await request(ctx.app).get('/v1/acl/token/self').expect(200)).body).toMatchObject({
      AccessorID: 'anonymous',
    });
  });

  it('other routes get no body parser', async () => {
    const res = await request(ctx.app)
      .post('/probe')
      .set('Content-Type', 'application/json')
      .send('{"a":1}')
      .expect(200);
    expect(res.body).toEqual({ bytes: 7, body: null });
  });
});

describe('ACL API with ACLs disabled', () => {
  it('answers 400 ACL support disabled', async () => {
    const app = express();
    app.use(createAclApi({ registry: new MemoryRegistry(), authenticator: aclDisabled }));
    expect((await request(app).post('/v1/acl/bootstrap').expect(400)).text).toBe('ACL support disabled');
    expect((await request(app).get('/v1/acl/policies').expect(400)).text).toBe('ACL support disabled');
  });
});

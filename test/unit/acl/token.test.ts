import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { generateEs256KeyPair, parseKeyMaterial, KeyMaterialError, canSign } from '../../../src/acl/keys';
import { createSigner, createVerifier } from '../../../src/acl/token';
import type { TokenVerifier } from '../../../src/acl/token';

const pair = generateEs256KeyPair();
const priv = parseKeyMaterial(pair.privateKeyPem);
const pub = parseKeyMaterial(pair.publicKeyPem);
const signer = createSigner(priv);
const agent = createVerifier(pub);
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const nowSec = () => Math.floor(Date.now() / 1000);
const baseClaims = () => ({
  iss: 'fleetgate',
  aud: 'fleetgate',
  sub: 'a1',
  jti: 'a1',
  iat: nowSec(),
  exp: nowSec() + 600,
  type: 'client',
  policies: ['p'],
});

const expectDenied = (v: TokenVerifier, token: string, message = 'Permission denied') => {
  let caught: unknown;
  try {
    v.verify(token);
  } catch (e) {
    caught = e;
  }
  expect(caught).toMatchObject({ status: 403, message });
};

describe('key material', () => {
  it('a private PEM signs and verifies; a public PEM only verifies', () => {
    expect(priv.alg).toBe('ES256');
    expect(canSign(priv)).toBe(true);
    expect(canSign(pub)).toBe(false);
    expect(() => createSigner(pub)).toThrow(/public key/);
  });
  it('anything else is an HS256 secret (trailing newline ignored), too short refused', () => {
    const km = parseKeyMaterial('0123456789abcdef0123\n');
    expect(km.alg).toBe('HS256');
    expect(() => parseKeyMaterial('short')).toThrow(KeyMaterialError);
  });
  it('non-P-256 PEM keys are refused', () => {
    const rsa = crypto
      .generateKeyPairSync('rsa', { modulusLength: 2048 })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    expect(() => parseKeyMaterial(rsa, 'k.pem')).toThrow(/k\.pem: unsupported key \(rsa\)/);
    expect(() => parseKeyMaterial('-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----')).toThrow(
      /cannot read PEM/,
    );
  });
});

describe('tokens', () => {
  it('round-trips claims; jti = sub = accessor; exp from ttl', () => {
    const { token, claims } = signer.sign({
      accessorId: 'acc',
      type: 'client',
      policies: ['a'],
      ttlMs: 60_000,
      name: 'n',
    });
    expect(claims.exp! - claims.iat).toBe(60);
    const v = agent.verify(token);
    expect(v.claims).toMatchObject({
      sub: 'acc',
      jti: 'acc',
      type: 'client',
      policies: ['a'],
      name: 'n',
      iss: 'fleetgate',
      aud: 'fleetgate',
    });
    expect(jwt.decode(token, { complete: true })?.header.alg).toBe('ES256');
  });

  it('management tokens need no exp', () => {
    const { token } = signer.sign({ accessorId: 'm', type: 'management' });
    expect(agent.verify(token).claims.type).toBe('management');
  });

  it('expired → ACL token expired (beyond the 30 s tolerance), within tolerance → accepted', () => {
    let now = Date.now();
    const s = createSigner(priv, { now: () => now });
    const { token } = s.sign({ accessorId: 'x', type: 'client', ttlMs: 1000 });
    now += 20_000;
    expect(createVerifier(pub, { now: () => now }).verify(token).claims.sub).toBe('x');
    now += 40_000;
    expectDenied(createVerifier(pub, { now: () => now }), token, 'ACL token expired');
  });

  it('bad signature', () => {
    const other = createSigner(parseKeyMaterial(generateEs256KeyPair().privateKeyPem));
    expectDenied(agent, other.sign({ accessorId: 'x', type: 'management' }).token);
    const { token } = signer.sign({ accessorId: 'x', type: 'management' });
    const [h, , sig] = token.split('.');
    expectDenied(agent, `${h}.${b64({ ...baseClaims(), type: 'management' })}.${sig}`);
  });

  it('alg: none is refused', () => {
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...baseClaims(), type: 'management' })}.`;
    expectDenied(agent, token);
    expectDenied(createVerifier(parseKeyMaterial('a-very-long-hs256-secret')), token);
  });

  it('HS256 signed with the ES256 public key text as secret is refused', () => {
    const h = b64({ alg: 'HS256', typ: 'JWT' });
    const p = b64({ ...baseClaims(), type: 'management' });
    const sig = crypto.createHmac('sha256', pair.publicKeyPem).update(`${h}.${p}`).digest('base64url');
    expectDenied(agent, `${h}.${p}.${sig}`);
  });

  it('ES256 token against an HS256-configured verifier is refused', () => {
    const hs = createVerifier(parseKeyMaterial('a-very-long-hs256-secret'));
    expectDenied(hs, signer.sign({ accessorId: 'x', type: 'management' }).token);
  });

  it('HS256 round trip', () => {
    const km = parseKeyMaterial('a-very-long-hs256-secret');
    const { token } = createSigner(km).sign({ accessorId: 'h', type: 'client', ttlMs: 1000 });
    expect(jwt.decode(token, { complete: true })?.header.alg).toBe('HS256');
    expect(createVerifier(km).verify(token).claims.sub).toBe('h');
  });

  it('wrong aud or iss', () => {
    expectDenied(
      agent,
      createSigner(priv, { audience: 'other' }).sign({ accessorId: 'x', type: 'management' }).token,
    );
    expectDenied(
      agent,
      createSigner(priv, { issuer: 'other' }).sign({ accessorId: 'x', type: 'management' }).token,
    );
    const custom = createSigner(priv, { audience: 'a2', issuer: 'i2' }).sign({
      accessorId: 'x',
      type: 'management',
    }).token;
    expect(createVerifier(pub, { audience: 'a2', issuer: 'i2' }).verify(custom).claims.sub).toBe('x');
  });

  it('client token without exp: refused unless the operator allows non-expiring tokens', () => {
    const { token } = signer.sign({ accessorId: 'x', type: 'client', policies: ['p'] });
    expectDenied(agent, token);
    expect(createVerifier(pub, { allowNonExpiring: true }).verify(token).claims.sub).toBe('x');
  });

  it('claims are validated (type, policies, inline rules)', () => {
    const sign = (claims: object) => jwt.sign(claims, pair.privateKeyPem, { algorithm: 'ES256' });
    expectDenied(agent, sign({ ...baseClaims(), type: 'root' }));
    expectDenied(agent, sign({ ...baseClaims(), policies: 'p' }));
    expectDenied(agent, sign({ ...baseClaims(), sub: undefined }));
    expectDenied(agent, sign({ ...baseClaims(), rules: { namespace: { default: { policy: 'all' } } } }));
    const v = agent.verify(sign({ ...baseClaims(), rules: { namespace: { default: { policy: 'read' } } } }));
    expect(v.inline?.namespaces[0]?.capabilities).toContain('read-job');
  });

  it('garbage is Permission denied', () => {
    expectDenied(agent, 'foobar');
    expectDenied(agent, 'a.b.c');
  });
});

import jwt from 'jsonwebtoken';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { DEFAULTS } from '../config/defaults';
import { errors } from '../errors';
import { NAMESPACE_CAPABILITIES, type Capability } from '../wire';
import type { KeyMaterial } from './keys';
import type { Acl, Identity } from './types';

/**
 * Node assertions: what a gateway sends an agent instead of the caller's token. The gateway has
 * authenticated and authorized the caller; the assertion says so for one node, one capability and
 * one namespace (or one node-level right), for a few seconds — so a node that keeps what it
 * receives holds nothing it could use anywhere else or for long: not the caller's token.
 *
 * An assertion is a JWT signed with the gateways' ACL key (the same key agents already get with
 * the ACL state), told apart from a user token by its audience `fleetgate-node:<node id>`: a user
 * token verifier (audience `fleetgate`) refuses it, and an agent accepts it only with its own
 * node ID in the audience.
 */

/** How long an assertion is valid. A request is checked when it starts; a stream may outlive it. */
export const ASSERTION_TTL_SEC = 10;
/** Clock difference tolerated between gateway and agent on `exp` and `iat`. */
const ASSERTION_TOLERANCE_SEC = 5;
/** A cached assertion is handed out again only while at least this much of its life is left. */
const REUSE_MIN_LEFT_SEC = 5;
const AUDIENCE_PREFIX = 'fleetgate-node:';

export const assertionAudience = (nodeId: string): string => `${AUDIENCE_PREFIX}${nodeId}`;

/** What the gateway decided the caller may do on this node. */
export type AssertionGrant =
  | { readonly kind: 'namespace'; readonly capability: Capability; readonly namespace: string }
  | { readonly kind: 'node'; readonly level: 'read' | 'write' };

const claimsSchema = z.object({
  iss: z.string(),
  aud: z.string().startsWith(AUDIENCE_PREFIX),
  /** The caller's accessor ID, for the agent's audit line. */
  sub: z.string().min(1),
  iat: z.number().int(),
  exp: z.number().int(),
  grant: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('namespace'),
      capability: z.enum(NAMESPACE_CAPABILITIES),
      namespace: z.string().min(1),
    }),
    z.object({ kind: z.literal('node'), level: z.enum(['read', 'write']) }),
  ]),
});

const grantKey = (g: AssertionGrant): string =>
  g.kind === 'namespace' ? `ns\u0000${g.namespace}\u0000${g.capability}` : `node\u0000${g.level}`;

/** An Acl that allows exactly the grant: nothing else, in no other namespace. */
const grantAcl = (g: AssertionGrant): Acl => ({
  management: false,
  allowNamespaceOp: (ns, cap) => g.kind === 'namespace' && ns === g.namespace && cap === g.capability,
  allowNodeRead: () => g.kind === 'node',
  allowNodeWrite: () => g.kind === 'node' && g.level === 'write',
});

/** Whether `token` is shaped as an assertion (decoded, not verified: the verifier decides). */
export const looksLikeAssertion = (token: string): boolean => {
  const decoded = jwt.decode(token, { json: true });
  return typeof decoded?.aud === 'string' && decoded.aud.startsWith(AUDIENCE_PREFIX);
};

export interface AssertionSigner {
  sign(nodeId: string, accessorId: string, grant: AssertionGrant): string;
}

/**
 * The gateway's signer. One signature per (node, caller, grant) every few seconds, not per
 * request: an assertion is reused while it has at least REUSE_MIN_LEFT_SEC to live.
 */
export const createAssertionSigner = (km: KeyMaterial, now: () => number = Date.now): AssertionSigner => {
  const key = km.alg === 'HS256' ? km.secret : km.privateKey;
  if (!key) throw new Error('node assertions need the private ACL key (or an HS256 secret)');
  const cache = new LRUCache<string, { token: string; exp: number }>({ max: DEFAULTS.cacheMaxEntries });
  return {
    sign: (nodeId, accessorId, grant) => {
      const nowSec = Math.floor(now() / 1000);
      const k = `${nodeId}\u0000${accessorId}\u0000${grantKey(grant)}`;
      const hit = cache.get(k);
      if (hit && hit.exp - nowSec >= REUSE_MIN_LEFT_SEC) return hit.token;
      const exp = nowSec + ASSERTION_TTL_SEC;
      const claims = {
        iss: DEFAULTS.jwtIssuer,
        aud: assertionAudience(nodeId),
        sub: accessorId,
        iat: nowSec,
        exp,
        grant,
      };
      const token = jwt.sign(claims, key, { algorithm: km.alg });
      cache.set(k, { token, exp });
      return token;
    },
  };
};

export interface AssertionVerifier {
  /** The identity an assertion for this node grants; 403 for anything else. */
  verify(token: string, km: KeyMaterial): Identity;
}

/** The agent's verifier: signature, issuer, its own node ID as audience, not expired. */
export const createAssertionVerifier = (
  nodeId: () => string | undefined,
  now: () => number = Date.now,
): AssertionVerifier => {
  // Keyed by the token: gateways reuse an assertion for a few seconds, so most requests hit.
  const verified = new LRUCache<string, { identity: Identity; exp: number }>({
    max: DEFAULTS.cacheMaxEntries,
  });
  return {
    verify: (token, km) => {
      const nowSec = Math.floor(now() / 1000);
      const hit = verified.get(token);
      if (hit && nowSec < hit.exp + ASSERTION_TOLERANCE_SEC) return hit.identity;
      const id = nodeId();
      if (!id) throw errors.permissionDenied();
      let payload: unknown;
      try {
        payload = jwt.verify(token, km.alg === 'HS256' ? km.secret : km.publicKey, {
          algorithms: [km.alg],
          issuer: DEFAULTS.jwtIssuer,
          audience: assertionAudience(id),
          clockTolerance: ASSERTION_TOLERANCE_SEC,
          clockTimestamp: nowSec,
        });
      } catch {
        throw errors.permissionDenied();
      }
      const parsed = claimsSchema.safeParse(payload);
      if (!parsed.success) throw errors.permissionDenied();
      const c = parsed.data;
      // Valid for seconds: an assertion claiming a longer life was not made by a gateway.
      if (c.exp - c.iat > ASSERTION_TTL_SEC || c.iat > nowSec + ASSERTION_TOLERANCE_SEC)
        throw errors.permissionDenied();
      const identity: Identity = { accessorId: c.sub, type: 'client', acl: grantAcl(c.grant) };
      verified.set(token, { identity, exp: c.exp });
      return identity;
    },
  };
};

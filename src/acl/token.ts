import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { DEFAULTS } from '../config/defaults';
import { errors } from '../errors';
import type { KeyObject } from 'node:crypto';
import type { KeyMaterial } from './keys';
import { policyDocumentSchema, policyFromDocument } from './policy';
import type { Policy, PolicyDocument } from './policy';

/**
 * JWT tokens. Pitfalls handled here: the algorithm list comes
 * from the key material only; jsonwebtoken 9 does not require `exp`, so its presence is checked
 * here; one key per verifier, never a key function that could mix HMAC secrets and public keys.
 */

export const tokenClaimsSchema = z.object({
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  /** Accessor ID. */
  sub: z.string().min(1),
  /** Equal to `sub`: the revocation list is keyed by it. */
  jti: z.string().min(1),
  iat: z.number().int(),
  exp: z.number().int().optional(),
  type: z.enum(['management', 'client']),
  policies: z.array(z.string()).default([]),
  rules: policyDocumentSchema.optional(),
  /** Human label (Nomad's token Name); informational only. */
  name: z.string().optional(),
});

export type TokenClaims = z.infer<typeof tokenClaimsSchema>;

export interface VerifiedToken {
  readonly claims: TokenClaims;
  /** The inline `rules` claim, expanded. */
  readonly inline?: Policy;
}

export interface TokenOptions {
  issuer?: string;
  audience?: string;
  /** Seconds of clock skew accepted on `exp`. */
  clockToleranceSec?: number;
  /** Accept client tokens without `exp` (operator opt-in). Management tokens never need one. */
  allowNonExpiring?: boolean;
  /** Clock in ms (tests). */
  now?: () => number;
}

export interface TokenRequest {
  accessorId: string;
  type: 'management' | 'client';
  policies?: readonly string[];
  rules?: PolicyDocument;
  name?: string;
  /** Lifetime; absent = no `exp`. */
  ttlMs?: number;
}

export interface IssuedToken {
  readonly token: string;
  readonly claims: TokenClaims;
}

export interface TokenSigner {
  readonly alg: KeyMaterial['alg'];
  sign(req: TokenRequest): IssuedToken;
}

export interface TokenVerifier {
  /** Throws HttpError 403: `ACL token expired` when expired, else `Permission denied`. */
  verify(token: string): VerifiedToken;
}

const signingKey = (km: KeyMaterial): KeyObject => {
  if (km.alg === 'HS256') return km.secret;
  if (!km.privateKey) {
    throw new Error(
      'the ACL key is an ES256 public key, which can only verify; give the gateway the private key',
    );
  }
  return km.privateKey;
};

const verifyKey = (km: KeyMaterial): KeyObject => (km.alg === 'HS256' ? km.secret : km.publicKey);

export const createSigner = (km: KeyMaterial, opts: TokenOptions = {}): TokenSigner => {
  const key = signingKey(km);
  const now = opts.now ?? Date.now;
  return {
    alg: km.alg,
    sign: (req) => {
      const iat = Math.floor(now() / 1000);
      const claims: TokenClaims = {
        iss: opts.issuer ?? DEFAULTS.jwtIssuer,
        aud: opts.audience ?? DEFAULTS.jwtAudience,
        sub: req.accessorId,
        jti: req.accessorId,
        iat,
        ...(req.ttlMs !== undefined ? { exp: iat + Math.max(1, Math.ceil(req.ttlMs / 1000)) } : {}),
        type: req.type,
        policies: [...(req.policies ?? [])],
        ...(req.rules ? { rules: req.rules } : {}),
        ...(req.name ? { name: req.name } : {}),
      };
      return { token: jwt.sign(claims, key, { algorithm: km.alg }), claims };
    },
  };
};

export const createVerifier = (km: KeyMaterial, opts: TokenOptions = {}): TokenVerifier => {
  const key = verifyKey(km);
  const algorithms: jwt.Algorithm[] = [km.alg];
  const issuer = opts.issuer ?? DEFAULTS.jwtIssuer;
  const audience = opts.audience ?? DEFAULTS.jwtAudience;
  const clockTolerance = opts.clockToleranceSec ?? DEFAULTS.jwtClockToleranceSec;
  const now = opts.now ?? Date.now;

  return {
    verify: (token) => {
      let payload: string | jwt.JwtPayload;
      try {
        payload = jwt.verify(token, key, {
          algorithms,
          issuer,
          audience,
          clockTolerance,
          clockTimestamp: Math.floor(now() / 1000),
        });
      } catch (e) {
        if (e instanceof jwt.TokenExpiredError) throw errors.tokenExpired();
        throw errors.permissionDenied();
      }
      const parsed = tokenClaimsSchema.safeParse(payload);
      if (!parsed.success) throw errors.permissionDenied();
      const claims = parsed.data;
      if (claims.type === 'client' && claims.exp === undefined && !opts.allowNonExpiring) {
        throw errors.permissionDenied();
      }
      return claims.rules ? { claims, inline: policyFromDocument(claims.rules) } : { claims };
    },
  };
};

/** Whether already-verified claims have expired by now (cached verifications re-check this). */
export const isExpired = (claims: TokenClaims, nowMs: number, clockToleranceSec: number): boolean =>
  claims.exp !== undefined && Math.floor(nowMs / 1000) >= claims.exp + clockToleranceSec;

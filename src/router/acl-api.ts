import { randomUUID } from 'node:crypto';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { parsePolicy, PolicyError, POLICY_NAME, tokenFromHeaders } from '../acl';
import { parseGoDuration } from '../wire/duration';
import type { Authenticator, Identity, PolicyDocument, TokenSigner } from '../acl';
import { errors } from '../errors';
import { sendEmpty, sendJson } from '../http/json';
import { sendError } from '../http/respond-error';
import type { PolicyRecord, Registry } from '../registry/registry';
import type { Logger } from '../log/logger';
import { DEFAULTS } from '../config/defaults';
import { readBody } from '../edge/body';
import { isUuid } from '../wire';

/**
 * The ACL HTTP API: Nomad's paths and bodies for bootstrap, policies and tokens. It lives in
 * router/ because acl/ never imports express. The gateway mounts it after the client routes
 * (which never reach it); it reads a body only in the handlers that take one, after the caller
 * is known to be management, and its error handler is scoped to `/v1/acl`.
 */

/** Twice the default clock tolerance, so a revoked token is refused until no verifier accepts it. */
const REVOCATION_MARGIN_MS = 2 * DEFAULTS.jwtClockToleranceSec * 1000;

/** The longest token lifetime the API issues. */
const MAX_TTL_MS = 10 * 365 * 24 * 3_600_000;

export interface AclApiDeps {
  registry: Pick<
    Registry,
    | 'getPolicy'
    | 'putPolicy'
    | 'listPolicies'
    | 'deletePolicy'
    | 'recordIssued'
    | 'issuedExpiry'
    | 'revokeToken'
    | 'claimBootstrap'
  >;
  authenticator: Authenticator;
  /** Issues tokens; required when ACLs are on (the gateway holds the private key / secret). */
  signer?: TokenSigner;
  /** Allow client tokens without ExpirationTTL (agents must be configured alike). */
  allowNonExpiring?: boolean;
  /** Where a 5xx of this API is logged with its cause (the request's own line is written anyway). */
  logger?: Logger;
}

const tokenBody = z.object({
  Name: z.string().optional(),
  Type: z.enum(['client', 'management'], { error: 'Type must be "client" or "management"' }).optional(),
  Policies: z.array(z.string()).nullish(),
  // Duration string as Nomad's API takes it ("8h"); a number is Go's nanoseconds.
  ExpirationTTL: z.union([z.string(), z.number()]).nullish(),
  // fleetgate extension: inline rules (policy document as JSON text), carried in the token.
  Rules: z.string().optional(),
});

const policyBody = z.object({
  Name: z.string().optional(),
  Description: z.string().optional(),
  Rules: z.string({ error: 'Rules must be the policy document as JSON text' }),
});

const iso = (sec: number): string => new Date(sec * 1000).toISOString();

const policyStub = (p: PolicyRecord) => ({
  Name: p.Name,
  Description: p.Description,
  CreateIndex: p.CreateIndex ?? 0,
  ModifyIndex: p.ModifyIndex ?? 0,
});

const parseBody = <T>(schema: z.ZodType<T>, body: unknown): T => {
  const r = schema.safeParse(body ?? {});
  if (!r.success)
    throw errors.badAclBody(
      r.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '),
    );
  return r.data;
};

const ttlMs = (ttl: string | number | null | undefined): number | undefined => {
  if (ttl === undefined || ttl === null || ttl === '') return undefined;
  let ms: number;
  try {
    ms = typeof ttl === 'number' ? ttl / 1e6 : parseGoDuration(ttl);
  } catch (e) {
    throw errors.badTtl((e as Error).message);
  }
  if (ms < 0) throw errors.negativeTtl();
  // Checked before anything is signed or recorded: a TTL past this cannot be represented as a
  // token expiry (and no operator means it).
  if (!Number.isFinite(ms) || ms > MAX_TTL_MS) throw errors.ttlTooLong(MAX_TTL_MS / 3_600_000);
  return ms === 0 ? undefined : ms; // Go clients send "0s" for "no TTL"
};

export const createAclApi = (deps: AclApiDeps): express.Router => {
  const { registry, authenticator } = deps;
  const router = express.Router({ strict: true, caseSensitive: true });

  const identify = (req: Request): Promise<Identity> =>
    authenticator.authenticate(tokenFromHeaders(req.headers));
  const management = async (req: Request): Promise<Identity> => {
    const id = await identify(req);
    if (id.type !== 'management') throw errors.permissionDenied();
    return id;
  };
  const signer = (): TokenSigner => {
    if (!deps.signer) throw errors.noSigningKey();
    return deps.signer;
  };
  /** Client tokens see the policies they carry; management sees all (as Nomad). */
  const canSeePolicy = (id: Identity, name: string): boolean =>
    id.acl.management || (id.policies ?? []).includes(name);

  router.use('/v1/acl', (_req: Request, _res: Response, next: NextFunction) => {
    next(authenticator.enabled ? undefined : errors.aclDisabled());
  });
  /**
   * The JSON body, read only when a handler asks for it, i.e. after the caller was authenticated
   * and found to be management: an anonymous caller cannot make the gateway buffer or parse
   * anything. Any content type (operator tools often omit it); empty means `{}`.
   */
  const jsonBody = async (req: Request, res: Response): Promise<unknown> => {
    const raw = (await readBody(req, res)).toString('utf8');
    if (raw.trim() === '') return {};
    try {
      return JSON.parse(raw) as unknown;
    } catch (e) {
      throw errors.aclDecodeFailed((e as Error).message);
    }
  };

  router.route('/v1/acl/bootstrap').all(async (req, res) => {
    if (req.method !== 'POST' && req.method !== 'PUT') throw errors.invalidMethod();
    const accessorId = randomUUID();
    // Sign before claiming: a server without a signing key must not use up the one-time bootstrap.
    const { token, claims } = signer().sign({ accessorId, type: 'management', name: 'Bootstrap Token' });
    if (!(await registry.claimBootstrap(accessorId))) throw errors.bootstrapDone();
    await registry.recordIssued(accessorId, 0);
    sendJson(req, res, {
      AccessorID: accessorId,
      SecretID: token,
      Name: 'Bootstrap Token',
      Type: 'management',
      Policies: [],
      Global: true,
      CreateTime: iso(claims.iat),
      ExpirationTime: null,
    });
  });

  router.get('/v1/acl/policies', async (req, res) => {
    const id = await identify(req);
    const all = await registry.listPolicies();
    sendJson(
      req,
      res,
      all
        .filter((p) => canSeePolicy(id, p.Name))
        .sort((a, b) => a.Name.localeCompare(b.Name))
        .map(policyStub),
    );
  });

  router.get('/v1/acl/policy/:name', async (req, res) => {
    const id = await identify(req);
    const name = String(req.params.name);
    if (!canSeePolicy(id, name)) throw errors.permissionDenied();
    const p = await registry.getPolicy(name);
    if (!p) throw errors.policyNotFound();
    sendJson(req, res, { ...policyStub(p), Rules: p.Rules });
  });

  const upsertPolicy = async (req: Request, res: Response): Promise<void> => {
    await management(req);
    const name = String(req.params.name);
    const body = parseBody(policyBody, await jsonBody(req, res));
    if (!POLICY_NAME.test(name)) throw errors.badPolicyName(name, POLICY_NAME.source);
    if (body.Name !== undefined && body.Name !== '' && body.Name !== name) {
      throw errors.policyNameMismatch();
    }
    try {
      parsePolicy(body.Rules);
    } catch (e) {
      if (e instanceof PolicyError) throw errors.badRules(e.message);
      throw e;
    }
    await registry.putPolicy({ Name: name, Description: body.Description ?? '', Rules: body.Rules });
    sendEmpty(res);
  };
  router.post('/v1/acl/policy/:name', upsertPolicy);
  router.put('/v1/acl/policy/:name', upsertPolicy);

  router.delete('/v1/acl/policy/:name', async (req, res) => {
    await management(req);
    await registry.deletePolicy(String(req.params.name));
    sendEmpty(res);
  });

  const createToken = async (req: Request, res: Response): Promise<void> => {
    await management(req);
    const body = parseBody(tokenBody, await jsonBody(req, res));
    const type = body.Type ?? 'client';
    const policies = [...new Set(body.Policies ?? [])];
    let rules: PolicyDocument | undefined;
    if (body.Rules) {
      try {
        rules = JSON.parse(body.Rules) as PolicyDocument;
        parsePolicy(body.Rules);
      } catch (e) {
        throw errors.badRules((e as Error).message);
      }
    }
    if (type === 'management' && (policies.length > 0 || rules)) {
      throw errors.managementWithPolicies();
    }
    if (type === 'client' && policies.length === 0 && !rules) throw errors.clientWithoutPolicies();
    for (const p of policies) {
      if (!(await registry.getPolicy(p))) throw errors.unknownPolicy(p);
    }
    const ttl = ttlMs(body.ExpirationTTL);
    if (type === 'client' && ttl === undefined && !deps.allowNonExpiring) {
      throw errors.ttlRequired();
    }
    const accessorId = randomUUID();
    const name = body.Name ?? '';
    const { token, claims } = signer().sign({
      accessorId,
      type,
      policies,
      ...(rules ? { rules } : {}),
      ...(name ? { name } : {}),
      ...(ttl !== undefined ? { ttlMs: ttl } : {}),
    });
    // Recorded a margin past exp: verifiers still accept a token within their clock tolerance.
    await registry.recordIssued(
      accessorId,
      claims.exp !== undefined ? claims.exp * 1000 + REVOCATION_MARGIN_MS : 0,
    );
    sendJson(req, res, {
      AccessorID: accessorId,
      SecretID: token,
      Name: name,
      Type: type,
      Policies: policies,
      Global: true,
      CreateTime: iso(claims.iat),
      ExpirationTime: claims.exp !== undefined ? iso(claims.exp) : null,
    });
  };
  router.post('/v1/acl/token', createToken);
  router.put('/v1/acl/token', createToken);

  router.get('/v1/acl/token/self', async (req, res) => {
    const secret = tokenFromHeaders(req.headers);
    const id = await identify(req);
    if (!secret) {
      sendJson(req, res, {
        AccessorID: 'anonymous',
        SecretID: 'anonymous',
        Name: 'Anonymous Token',
        Type: 'client',
        Policies: ['anonymous'],
        Global: false,
      });
      return;
    }
    sendJson(req, res, {
      AccessorID: id.accessorId,
      SecretID: secret,
      Name: id.token?.name ?? '',
      Type: id.type,
      Policies: [...(id.policies ?? [])],
      Global: true,
      CreateTime: id.token ? iso(id.token.issuedAt) : null,
      ExpirationTime: id.token?.expiresAt !== undefined ? iso(id.token.expiresAt) : null,
    });
  });

  router.delete('/v1/acl/token/:accessor_id', async (req, res) => {
    await management(req);
    const accessor = String(req.params.accessor_id);
    // Accessor IDs are UUIDs; anything else (`*`, a path) names no token and is not recorded.
    if (!isUuid(accessor)) throw errors.badAccessor(accessor);
    // A revocation is kept as long as the token could be used: its recorded expiry when this
    // gateway issued it, forever for a token signed elsewhere or one that never expires.
    await registry.revokeToken(accessor, (await registry.issuedExpiry(accessor)) ?? 0);
    sendEmpty(res);
  });

  // Scoped here too, so the API answers alike when mounted on its own (tests, other apps).
  router.use('/v1/acl', (err: unknown, req: Request, res: Response, _next: NextFunction) =>
    sendError(res, err, deps.logger, req),
  );

  return router;
};

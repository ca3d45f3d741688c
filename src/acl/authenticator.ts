import { LRUCache } from 'lru-cache';
import { DEFAULTS } from '../config/defaults';
import { errors } from '../errors';
import type { Logger } from '../log/logger';
import type { Registry, RegistryChange } from '../registry/registry';
import { compileAcl, MANAGEMENT_ACL } from './acl';
import type { KeyMaterial } from './keys';
import { parsePolicy } from './policy';
import type { Policy } from './policy';
import { createVerifier, isExpired } from './token';
import type { TokenOptions, TokenVerifier, VerifiedToken } from './token';
import type { Acl, Authenticator, Identity } from './types';

/**
 * Token → Identity with ACLs on. Tokens are self-contained JWTs; only the `jti` is
 * looked up (revocation list), and policies are resolved from the registry at request time so a
 * changed policy applies to live tokens. Everything looked up is cached, and dropped on registry
 * change events so revocations and policy edits apply within 1 s everywhere.
 */

export interface AuthenticatorOptions extends TokenOptions {
  keyMaterial: KeyMaterial;
  registry: Pick<Registry, 'getPolicy' | 'isRevoked' | 'onChange'>;
  /** Bound on each cache (verified tokens, policies, revocations, compiled ACLs). */
  cacheMaxEntries?: number;
  /**
   * How long this cache keeps a policy or revocation answer before asking `registry` again,
   * even without a change event. It bounds only this layer: a caching registry underneath
   * must bound its own entries (CachedRegistry's `aclMaxAgeMs`), so that a lost pub/sub message
   * expires within the sum of the two. While the registry is unreachable the last answer is served.
   */
  cacheTtlMs?: number;
  /** Warns about stored policies that no longer parse (they then grant nothing). */
  logger?: Logger;
  /**
   * Bounded staleness (agents): the reason the ACL state cannot be trusted right now (no gateway
   * heard from for too long), or undefined. While it says so, every token but a management
   * token is refused with 503: rights that may have been revoked are not served.
   */
  staleness?: () => string | undefined;
}

export interface AclAuthenticator extends Authenticator {
  readonly verifier: TokenVerifier;
  /** Stop listening to registry changes. */
  close(): void;
}

export const ANONYMOUS_POLICY = 'anonymous';

interface PolicyEntry {
  readonly policy?: Policy;
}
interface RevokedEntry {
  readonly revoked: boolean;
}
interface CompiledEntry {
  readonly sources: readonly (Policy | undefined)[];
  readonly acl: Acl;
}

const unavailable = (e: unknown): Error =>
  errors.registryUnavailable(e instanceof Error ? e.message : String(e));

export const createAuthenticator = (opts: AuthenticatorOptions): AclAuthenticator => {
  const { registry, logger } = opts;
  const max = opts.cacheMaxEntries ?? DEFAULTS.cacheMaxEntries;
  const ttl = opts.cacheTtlMs ?? 1000;
  const tolerance = opts.clockToleranceSec ?? DEFAULTS.jwtClockToleranceSec;
  const now = opts.now ?? Date.now;
  const verifier = createVerifier(opts.keyMaterial, opts);

  // Keyed by the token string: a signature check (ES256 ~0.1 ms) once per token, not per request.
  const verified = new LRUCache<string, VerifiedToken>({ max });
  // An injected clock drives the caches' TTL too (read on every check, so a test that moves it
  // sees the entry expire at once); without one the caches keep lru-cache's monotonic clock.
  const clock = opts.now ? { perf: { now: opts.now }, ttlResolution: 0 } : {};
  const fetchOpts = {
    max,
    ttl,
    allowStaleOnFetchRejection: true,
    noDeleteOnFetchRejection: true,
    ...clock,
  } as const;
  const policies = new LRUCache<string, PolicyEntry>({
    ...fetchOpts,
    fetchMethod: async (name) => {
      const record = await registry.getPolicy(name);
      if (!record) return {};
      try {
        return { policy: parsePolicy(record.Rules) };
      } catch (e) {
        logger?.warn(
          { policy: name, err: (e as Error).message },
          'stored ACL policy does not parse; it grants nothing',
        );
        return {};
      }
    },
  });
  const revocations = new LRUCache<string, RevokedEntry>({
    ...fetchOpts,
    fetchMethod: async (jti) => ({ revoked: await registry.isRevoked(jti) }),
  });
  const compiled = new LRUCache<string, CompiledEntry>({ max });

  // A change message that lands while its key is being read deletes the key, which aborts that
  // read: lru-cache then answers undefined. That is not an outage — read once more, and get the
  // new value.
  const fetchOrFail = async <V extends object>(cache: LRUCache<string, V>, key: string): Promise<V> => {
    for (let attempt = 0; attempt < 2; attempt++) {
      let v: V | undefined;
      try {
        v = await cache.fetch(key);
      } catch (e) {
        throw unavailable(e);
      }
      if (v !== undefined) return v;
    }
    throw unavailable(new Error('no answer'));
  };

  /** Policies that don't exist are silently skipped, as Nomad does. */
  const aclFor = async (names: readonly string[], inline: Policy | undefined, jti: string): Promise<Acl> => {
    const unique = [...new Set(names)].sort();
    const sources = await Promise.all(unique.map(async (n) => (await fetchOrFail(policies, n)).policy));
    if (inline) sources.push(inline);
    // Inline rules are per token, so such sets are keyed by the token's ID too.
    const key = inline ? `${jti}\u0000${unique.join('\n')}` : unique.join('\n');
    const hit = compiled.get(key);
    // Same Policy objects = same registry answers: the compiled ACL is still right.
    if (hit && hit.sources.length === sources.length && hit.sources.every((s, i) => s === sources[i]))
      return hit.acl;
    const acl = compileAcl(sources.filter((p): p is Policy => p !== undefined));
    compiled.set(key, { sources, acl });
    return acl;
  };

  const verify = (token: string): VerifiedToken => {
    const hit = verified.get(token);
    if (hit) return hit;
    const v = verifier.verify(token);
    verified.set(token, v);
    return v;
  };

  const onChange = (change: RegistryChange): void => {
    switch (change.kind) {
      case 'policy':
        policies.delete(change.name);
        return;
      case 'revoked':
        revocations.delete(change.jti);
        return;
      case 'resync':
        // Events may have been missed (e.g. a pub/sub reconnect): nothing cached can be trusted.
        verified.clear();
        policies.clear();
        revocations.clear();
        compiled.clear();
        return;
      default:
        return;
    }
  };
  const unsubscribe = registry.onChange(onChange);

  return {
    enabled: true,
    verifier,
    close: unsubscribe,
    authenticate: async (token): Promise<Identity> => {
      const stale = opts.staleness?.();
      if (token === undefined) {
        if (stale) throw errors.aclStateStale(stale);
        const acl = await aclFor([ANONYMOUS_POLICY], undefined, ANONYMOUS_POLICY);
        return { accessorId: ANONYMOUS_POLICY, type: 'anonymous', acl, policies: [ANONYMOUS_POLICY] };
      }
      const { claims, inline } = verify(token);
      // A cached verification must still expire on time.
      if (isExpired(claims, now(), tolerance)) throw errors.tokenExpired();
      if (stale && claims.type !== 'management') throw errors.aclStateStale(stale);
      if ((await fetchOrFail(revocations, claims.jti)).revoked) throw errors.tokenNotFound();
      const acl =
        claims.type === 'management' ? MANAGEMENT_ACL : await aclFor(claims.policies, inline, claims.jti);
      return {
        accessorId: claims.sub,
        type: claims.type,
        acl,
        policies: claims.policies,
        token: {
          issuedAt: claims.iat,
          ...(claims.name !== undefined ? { name: claims.name } : {}),
          ...(claims.exp !== undefined ? { expiresAt: claims.exp } : {}),
        },
      };
    },
  };
};

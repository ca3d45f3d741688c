import type { Logger } from '../log/logger';
import { errors } from '../errors';
import { createAssertionVerifier, looksLikeAssertion } from './assertion';
import { createAuthenticator, type AclAuthenticator } from './authenticator';
import { parseKeyMaterial, type KeyMaterial } from './keys';
import type { AclMirror } from './mirror';
import type { Authenticator } from './types';

export interface MirrorAuthenticatorOptions {
  mirror: AclMirror;
  /** `--acl-key`: a key given to the agent wins over the one the gateways send. */
  pinnedKey?: KeyMaterial;
  /** Longest the agent serves client and anonymous tokens without hearing from a gateway. */
  maxStaleMs: number;
  /** This node's ID: the audience a node assertion must name (undefined until it is known). */
  nodeId?: () => string | undefined;
  logger?: Logger;
  now?: () => number;
}

export interface MirrorAuthenticator extends Authenticator {
  /** The verification key in use (pinned, or the one the gateways sent); undefined before any. */
  currentKey(): KeyMaterial | undefined;
  close(): void;
}

/**
 * The agent's authenticator: tokens checked against the mirrored ACL state, with its key from
 * the gateways unless one is pinned, and bounded staleness — no gateway heard for longer than
 * `maxStaleMs` means only management tokens are served (no silent standalone mode).
 *
 * Requests a gateway forwards carry a node assertion instead of the caller's token (acl/assertion.ts):
 * the gateway's decision, made just now against its own ACL state, so it is honoured whatever the
 * staleness of this agent's copy — but only for this node, its one right, and a few seconds.
 */
export const createMirrorAuthenticator = (o: MirrorAuthenticatorOptions): MirrorAuthenticator => {
  const now = o.now ?? Date.now;
  const staleness = (): string | undefined => {
    const age = now() - o.mirror.lastHeard;
    if (!Number.isFinite(age)) return 'no gateway has sent it yet';
    return age > o.maxStaleMs ? `no gateway heard from for ${Math.round(age / 1000)} s` : undefined;
  };
  const assertions = createAssertionVerifier(o.nodeId ?? (() => undefined), now);
  let inner: AclAuthenticator | undefined;
  let innerKey: KeyMaterial | undefined;
  let innerPem: string | null = null;
  const keyNow = (): KeyMaterial | undefined => {
    if (o.pinnedKey) return o.pinnedKey;
    const pem = o.mirror.publicKey;
    if (pem !== innerPem || !innerKey) {
      innerPem = pem;
      innerKey = pem ? parseKeyMaterial(pem, 'the gateway ACL key') : undefined;
      inner?.close();
      inner = undefined;
    }
    return innerKey;
  };
  return {
    enabled: true,
    currentKey: keyNow,
    authenticate: async (token) => {
      const key = keyNow();
      if (!key) throw errors.aclStateStale('no verification key received from a gateway yet');
      if (token && looksLikeAssertion(token)) return assertions.verify(token, key);
      inner ??= createAuthenticator({
        keyMaterial: key,
        registry: o.mirror,
        staleness,
        ...(o.logger ? { logger: o.logger } : {}),
      });
      return inner.authenticate(token);
    },
    close: () => inner?.close(),
  };
};

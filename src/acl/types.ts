import type { Capability } from '../wire';

/** A compiled policy set: pure answers, no I/O. */
export interface Acl {
  readonly management: boolean;
  allowNamespaceOp(namespace: string, capability: Capability): boolean;
  allowNodeRead(): boolean;
  allowNodeWrite(): boolean;
}

export type TokenType = 'management' | 'client' | 'anonymous';

/** Who is calling, as established from the request's token. */
export interface Identity {
  /** Token accessor ID (`sub`), `anonymous`, or `acl-disabled`. */
  readonly accessorId: string;
  readonly type: TokenType;
  readonly acl: Acl;
  /** Stored policy names the token carries (anonymous: `anonymous`); absent with ACLs off. */
  readonly policies?: readonly string[];
  /** Verified token details, for `GET /v1/acl/token/self`; absent for anonymous / ACLs off. */
  readonly token?: TokenInfo;
}

export interface TokenInfo {
  readonly name?: string;
  /** Seconds since the epoch (JWT `iat` / `exp`). */
  readonly issuedAt: number;
  readonly expiresAt?: number;
}

/**
 * Turns a token (or its absence) into an Identity. Throws HttpError 403 for a token that does
 * not verify, expired or revoked. With ACLs off it returns an allow-all identity.
 */
export interface Authenticator {
  readonly enabled: boolean;
  authenticate(token: string | undefined): Promise<Identity>;
}

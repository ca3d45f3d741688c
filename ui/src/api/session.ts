import { compileAcl, MANAGEMENT_ACL } from '../../../src/acl/acl';
import { isAllowed } from '../../../src/acl/authorize';
import {
  policyFromValidDocument,
  type Policy,
  type ValidPolicyDocument,
} from '../../../src/acl/policy-expand';
import type { Acl } from '../../../src/acl/types';
import type { RouteCapability } from '../../../src/wire/capabilities';
import { createStore } from '../lib/store';
import { ApiError, call, getJson, tokenStore } from './http';
import type { TokenSelf } from './types';

/**
 * Who is looking: ACLs off (no sign-in at all), signed out, or signed in with a token whose
 * policies the UI compiles with the gateway's own evaluator, so it offers only the buttons
 * (stop, GC, metadata edit) the token may use. The gateway still decides every call.
 */
export type Session =
  | { readonly state: 'loading' }
  | { readonly state: 'acl-off' }
  | { readonly state: 'signed-out'; readonly message?: string }
  | { readonly state: 'signed-in'; readonly self: TokenSelf; readonly acl: Acl }
  | { readonly state: 'unreachable'; readonly message: string };

export const session = createStore<Session>({ state: 'loading' });

/** The `rules` claim of a JWT, read without verifying (the gateway verifies; this only shapes the UI). */
const inlineRules = (token: string): Policy | undefined => {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json) as { rules?: unknown };
    return claims.rules ? policyFromValidDocument(claims.rules as ValidPolicyDocument) : undefined;
  } catch {
    return undefined;
  }
};

const compile = async (self: TokenSelf, token: string): Promise<Acl> => {
  if (self.Type === 'management') return MANAGEMENT_ACL;
  const policies: Policy[] = [];
  for (const name of self.Policies) {
    try {
      const p = await getJson<{ Rules: string }>(`/v1/acl/policy/${encodeURIComponent(name)}`, { token });
      // The gateway validated these rules when they were applied; here they are only read.
      policies.push(policyFromValidDocument(JSON.parse(p.Rules) as ValidPolicyDocument));
    } catch {
      // A policy deleted since the token was issued grants nothing, at the gateway too.
    }
  }
  const inline = inlineRules(token);
  if (inline) policies.push(inline);
  return compileAcl(policies);
};

/** Asks the gateway who the stored token is (or whether ACLs are on at all). */
export const loadSession = async (token = tokenStore.get()): Promise<Session> => {
  let next: Session;
  try {
    const self = await getJson<TokenSelf>('/v1/acl/token/self', { token });
    next = token ? { state: 'signed-in', self, acl: await compile(self, token) } : { state: 'signed-out' };
    if (token) tokenStore.set(token);
  } catch (err) {
    if (err instanceof ApiError && err.status === 400) next = { state: 'acl-off' };
    else if (err instanceof ApiError && (err.status === 403 || err.status === 401)) {
      tokenStore.clear();
      next = { state: 'signed-out', message: `The gateway did not accept that token: ${err.message}` };
    } else next = { state: 'unreachable', message: (err as Error).message };
  }
  session.set(next);
  return next;
};

export const signOut = (): void => {
  tokenStore.clear();
  session.set({ state: 'signed-out' });
};

/** Whether the session may do `cap` (in `namespace`): what decides if an action is offered. */
export const can = (s: Session, cap: RouteCapability, namespace?: string): boolean => {
  if (s.state === 'acl-off') return true;
  if (s.state !== 'signed-in') return false;
  return isAllowed({ accessorId: s.self.AccessorID, type: s.self.Type, acl: s.acl }, cap, namespace);
};

/** Re-exported so pages need one import for "may I". */
export { call };

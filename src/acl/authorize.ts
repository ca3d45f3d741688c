import { errors } from '../errors';
import type { RouteCapability } from '../wire';
import type { Identity } from './types';

/**
 * The one authorization decision both roles make (gateway and agent decide alike, from the
 * same code). `namespace` is the allocation's own namespace, never a query parameter.
 */
export const isAllowed = (identity: Identity, need: RouteCapability, namespace?: string): boolean => {
  const { acl } = identity;
  switch (need.kind) {
    case 'none':
      return true;
    case 'node':
      return need.level === 'read' ? acl.allowNodeRead() : acl.allowNodeWrite();
    case 'namespace':
      return namespace !== undefined && need.anyOf.some((cap) => acl.allowNamespaceOp(namespace, cap));
  }
};

/** Throws 403 `Permission denied` unless allowed. */
export const authorize = (identity: Identity, need: RouteCapability, namespace?: string): void => {
  if (!isAllowed(identity, need, namespace)) throw errors.permissionDenied();
};

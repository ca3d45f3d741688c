import { isAllowed } from '../acl/authorize';
import type { Identity } from '../acl/types';
import { errors } from '../errors';
import type { Logger } from '../log/logger';
import type { Outcome, Tally } from './count';
import type { RouteCapability } from '../wire';

/**
 * One structured log line per authorization decision on an audited row (who read which file,
 * and how much). Token values are never logged: only the accessor ID, which is not a secret.
 * The decision itself is acl/'s (pure); this is only the record of it.
 */
export interface AuditEvent {
  /** Token accessor ID (`anonymous` without a token). */
  accessorId: string;
  /** The route's requirement, e.g. `read-fs`, `read-logs|read-fs`, `node:write`. */
  capability: RouteCapability | string;
  namespace?: string;
  allocId?: string;
  nodeId?: string;
  /** Request path (no query string: it may carry file paths but never tokens). */
  path: string;
  /** The `path` query parameter of fs/logs routes: the file inside the allocation that was read. */
  file?: string;
  allowed: boolean;
}

export const describeCapability = (c: RouteCapability | string): string => {
  if (typeof c === 'string') return c;
  switch (c.kind) {
    case 'none':
      return 'none';
    case 'node':
      return `node:${c.level}`;
    case 'namespace':
      return c.anyOf.join('|');
  }
};

const fieldsOf = (event: AuditEvent) => ({
  audit: true,
  accessor: event.accessorId,
  capability: describeCapability(event.capability),
  ...(event.namespace !== undefined ? { namespace: event.namespace } : {}),
  ...(event.allocId !== undefined ? { alloc: event.allocId } : {}),
  ...(event.nodeId !== undefined ? { node: event.nodeId } : {}),
  path: event.path,
  ...(event.file !== undefined ? { file: event.file } : {}),
  allowed: event.allowed,
});

/** A denial: logged at once (there is no response body to wait for). */
export const auditDenied = (logger: Logger, event: AuditEvent): void => {
  logger.info(fieldsOf(event), 'acl denied');
};

/** An allowed request: logged once its response is over, with the body bytes sent, so a stream is one line too. */
export const auditAllowed = (logger: Logger, event: AuditEvent, outcome: Outcome): void => {
  logger.info({ ...fieldsOf(event), ...outcome }, 'acl allowed');
};

/**
 * Decide (acl/, purely), record the decision, and throw 403 `Permission denied` when denied.
 * An allowed line is written when the response closes, with what the tally counted.
 */
export const authorizeAudited = (
  logger: Logger,
  identity: Identity,
  event: Omit<AuditEvent, 'accessorId' | 'capability' | 'allowed'> & { capability: RouteCapability },
  responseTally: Tally,
): void => {
  const allowed = isAllowed(identity, event.capability, event.namespace);
  const full: AuditEvent = { ...event, accessorId: identity.accessorId, allowed };
  if (!allowed) {
    auditDenied(logger, full);
    throw errors.permissionDenied();
  }
  responseTally.onClose((o) => auditAllowed(logger, full, o));
};

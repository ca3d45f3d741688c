import type { ServerResponse } from 'node:http';
import type { Logger } from '../log/logger';
import { ROUTES, type RouteCapability, type RouteDef, type RouteId } from '../wire';
import { isAllowed } from './authorize';
import { errors } from '../errors';
import type { Identity } from './types';

/**
 * One structured log line per authorization decision on fs / logs / GC routes (who read what,
 * and how much). Token values are never logged: only the accessor ID, which is not a secret.
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

/** Routes whose decisions are audited: the ones that read allocation files or destroy allocations. */
export const AUDITED_ROUTES: ReadonlySet<RouteId> = new Set<RouteId>([
  'fs.ls',
  'fs.stat',
  'fs.cat',
  'fs.readat',
  'fs.stream',
  'fs.logs',
  'alloc.gc',
  'gc.all',
]);

// Both roles hand their route row around, not its id; map rows back by identity (they are constants).
const auditedRows: ReadonlySet<RouteDef> = new Set([...AUDITED_ROUTES].map((id) => ROUTES[id]));

/** Whether a route row (as the gateway and agent hold it) is one of AUDITED_ROUTES. */
export const isAuditedRoute = (route: RouteDef): boolean => auditedRows.has(route);

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

/**
 * Log the decision. Given the response of an allowed request, the line is written once the
 * response ends (finished or aborted), with the body bytes sent, so a stream is one line too.
 */
export const auditDecision = (logger: Logger, event: AuditEvent, res?: ServerResponse): void => {
  const fields = {
    audit: true,
    accessor: event.accessorId,
    capability: describeCapability(event.capability),
    ...(event.namespace !== undefined ? { namespace: event.namespace } : {}),
    ...(event.allocId !== undefined ? { alloc: event.allocId } : {}),
    ...(event.nodeId !== undefined ? { node: event.nodeId } : {}),
    path: event.path,
    ...(event.file !== undefined ? { file: event.file } : {}),
    allowed: event.allowed,
  };
  if (!res || !event.allowed) {
    logger.info(fields, event.allowed ? 'acl allowed' : 'acl denied');
    return;
  }
  let bytes = 0;
  const count = (chunk: unknown, encoding?: unknown): void => {
    if (typeof chunk === 'string')
      bytes += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    else if (chunk instanceof Uint8Array) bytes += chunk.byteLength;
  };
  // Counting at write/end sees body bytes only (headers excluded), whoever writes (pipe, proxy).
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.write = ((...args: unknown[]) => {
    count(args[0], args[1]);
    return write(...args);
  }) as ServerResponse['write'];
  res.end = ((...args: unknown[]) => {
    if (typeof args[0] !== 'function') count(args[0], args[1]);
    return end(...args);
  }) as ServerResponse['end'];
  res.once('close', () => {
    logger.info({ ...fields, status: res.statusCode, bytes, completed: res.writableFinished }, 'acl allowed');
  });
};

/** Decide, audit, and throw 403 `Permission denied` when denied: the one call for audited routes. */
export const authorizeAudited = (
  logger: Logger,
  identity: Identity,
  need: RouteCapability,
  ctx: Omit<AuditEvent, 'accessorId' | 'capability' | 'allowed'>,
  res?: ServerResponse,
): void => {
  const allowed = isAllowed(identity, need, ctx.namespace);
  auditDecision(logger, { ...ctx, accessorId: identity.accessorId, capability: need, allowed }, res);
  if (!allowed) throw errors.permissionDenied();
};

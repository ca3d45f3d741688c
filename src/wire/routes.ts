import type { Capability, RouteCapability } from './capabilities';

/**
 * The one route table (design.md): every endpoint the gateway forwards and the agent serves.
 * The gateway reads method/path/target/capability to resolve, authorize and forward; the agent
 * reads capability (it re-checks tokens) and binds a handler per id. Adding an endpoint is one row.
 *
 * Paths use Express 5 syntax. fs routes take the alloc id as a wildcard because Nomad treats
 * everything after `/fs/<op>/` as the id (spec §2.1), and an empty id must reach the handler to
 * get `must provide a valid alloc id` rather than a generic 404.
 */
export type Target = 'alloc' | 'node';
/** `ANY`: Nomad does not check the method on these endpoints (spec §2.1). */
export type RouteMethod = 'GET' | 'POST' | 'ANY';

export interface RouteDef {
  readonly method: RouteMethod;
  readonly path: string;
  readonly target: Target;
  readonly capability: RouteCapability;
  /** Long-lived response (frames or raw bytes that may follow a file): no idle timeout upstream. */
  readonly streaming: boolean;
  /**
   * The row takes a request body. Every other row is body-less whatever the method: a request
   * there that carries a body is refused at both roles and never forwarded (a body on a row
   * that reads none is how one request hides another on a shared upstream socket).
   */
  readonly takesBody?: true;
}

const ns = (...anyOf: Capability[]): RouteCapability => ({ kind: 'namespace', anyOf });
const node = (level: 'read' | 'write'): RouteCapability => ({ kind: 'node', level });

export const ROUTES = {
  'metadata.read': {
    method: 'GET',
    path: '/v1/client/metadata',
    target: 'node',
    capability: node('read'),
    streaming: false,
  },
  'metadata.apply': {
    method: 'POST',
    path: '/v1/client/metadata',
    target: 'node',
    capability: node('write'),
    streaming: false,
    takesBody: true,
  },
  'stats.host': {
    method: 'ANY',
    path: '/v1/client/stats',
    target: 'node',
    capability: node('read'),
    streaming: false,
  },
  'gc.all': {
    method: 'ANY',
    path: '/v1/client/gc',
    target: 'node',
    capability: node('write'),
    streaming: false,
  },
  'alloc.stats': {
    method: 'ANY',
    path: '/v1/client/allocation/:alloc_id/stats',
    target: 'alloc',
    capability: ns('read-job'),
    streaming: false,
  },
  'alloc.gc': {
    method: 'ANY',
    path: '/v1/client/allocation/:alloc_id/gc',
    target: 'alloc',
    capability: ns('submit-job', 'gc-allocation'),
    streaming: false,
  },
  'fs.ls': {
    method: 'ANY',
    path: '/v1/client/fs/ls{/*alloc_id}',
    target: 'alloc',
    capability: ns('read-fs'),
    streaming: false,
  },
  'fs.stat': {
    method: 'ANY',
    path: '/v1/client/fs/stat{/*alloc_id}',
    target: 'alloc',
    capability: ns('read-fs'),
    streaming: false,
  },
  'fs.cat': {
    method: 'ANY',
    path: '/v1/client/fs/cat{/*alloc_id}',
    target: 'alloc',
    capability: ns('read-fs'),
    streaming: true,
  },
  'fs.readat': {
    method: 'ANY',
    path: '/v1/client/fs/readat{/*alloc_id}',
    target: 'alloc',
    capability: ns('read-fs'),
    streaming: true,
  },
  'fs.stream': {
    method: 'ANY',
    path: '/v1/client/fs/stream{/*alloc_id}',
    target: 'alloc',
    capability: ns('read-fs'),
    streaming: true,
  },
  'fs.logs': {
    method: 'ANY',
    path: '/v1/client/fs/logs{/*alloc_id}',
    target: 'alloc',
    capability: ns('read-logs', 'read-fs'),
    streaming: true,
  },
  // Nomad's server API, forwarded to the node that runs the allocation.
  'alloc.stop': {
    method: 'POST',
    path: '/v1/allocation/:alloc_id/stop',
    target: 'alloc',
    capability: ns('alloc-lifecycle', 'submit-job'),
    streaming: false,
    takesBody: true,
  },
} as const satisfies Record<string, RouteDef>;

export type RouteId = keyof typeof ROUTES;
export const ROUTE_IDS = Object.keys(ROUTES) as RouteId[];

/** The alloc id of a matched route: Express 5 gives wildcards as segment arrays. */
export const allocIdParam = (params: Record<string, string | string[] | undefined>): string => {
  const raw = params['alloc_id'];
  return Array.isArray(raw) ? raw.join('/') : (raw ?? '');
};

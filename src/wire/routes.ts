import { errors, type HttpError } from '../errors';
import type { Capability, RouteCapability } from './capabilities';
import { parseMetaApplyBody } from './meta';
import {
  noParams,
  parseLogs,
  parseLs,
  parsePath,
  parseReadAt,
  parseStream,
  parseTaskFilter,
  type Query,
} from './params';

/**
 * The one route table: every endpoint the gateway forwards and the agent serves, one row each.
 * Both roles run every row through the same request kernel (src/http/kernel.ts), which reads
 * the columns below; the gateway then forwards, the agent calls the row's handler. Adding an
 * endpoint is one row here plus its agent handler (the handler map does not compile without it).
 *
 * Paths are matched exactly (case-sensitive; a trailing slash is another path):
 * - a `:alloc_id` segment is one non-empty path segment;
 * - a trailing `*alloc_id` is the whole rest of the path, slashes included, possibly empty —
 *   Nomad takes everything after `/v1/client/fs/<op>/` as the allocation id, and an empty id
 *   must reach the parameter check to get `must provide a valid alloc id`.
 */
export type Target = 'alloc' | 'node' | 'self';

/** Methods a row may list. HEAD is accepted wherever GET is. */
export type RowMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteDef<P = unknown, B = unknown> {
  /** `ANY`: Nomad does not check the method of this endpoint. Otherwise the rest answer 405. */
  readonly methods: 'ANY' | readonly RowMethod[];
  readonly path: string;
  /**
   * How the node is found: from the allocation, or from `?node_id` (or the body's NodeID);
   * `self`: no node at all — the process that receives the request (gateway or agent) answers
   * about itself and nothing is forwarded.
   */
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
  /** Authorization decisions are audit-logged (rows that read allocation files or destroy state). */
  readonly audited: boolean;
  /** The row's query parameters, checked before the token (all errors 400). */
  readonly params: (q: Query) => P;
  /**
   * How the kernel reads the body of a row that takes one (after authorization), when the
   * gateway must look inside it too (metadata's NodeID); otherwise the bytes pass as they are.
   */
  readonly parseBody?: (raw: string) => B;
}

const ns = (...anyOf: Capability[]): RouteCapability => ({ kind: 'namespace', anyOf });
const node = (level: 'read' | 'write'): RouteCapability => ({ kind: 'node', level });
/** A row, its literal columns and its parsers' types kept (for ParamsOf, BodyOf, AllocRouteId). */
const row = <const D extends RouteDef>(def: D): D => def;

export const ROUTES = {
  'metadata.read': row({
    methods: ['GET'],
    path: '/v1/client/metadata',
    target: 'node',
    capability: node('read'),
    streaming: false,
    audited: false,
    params: noParams,
  }),
  'metadata.apply': row({
    methods: ['POST'],
    path: '/v1/client/metadata',
    target: 'node',
    capability: node('write'),
    streaming: false,
    takesBody: true,
    audited: false,
    params: noParams,
    parseBody: parseMetaApplyBody,
  }),
  'stats.host': row({
    methods: 'ANY',
    path: '/v1/client/stats',
    target: 'node',
    capability: node('read'),
    streaming: false,
    audited: false,
    params: noParams,
  }),
  'gc.all': row({
    methods: 'ANY',
    path: '/v1/client/gc',
    target: 'node',
    capability: node('write'),
    streaming: false,
    audited: true,
    params: noParams,
  }),
  'alloc.stats': row({
    methods: 'ANY',
    path: '/v1/client/allocation/:alloc_id/stats',
    target: 'alloc',
    capability: ns('read-job'),
    streaming: false,
    audited: false,
    params: parseTaskFilter,
  }),
  'alloc.gc': row({
    methods: 'ANY',
    path: '/v1/client/allocation/:alloc_id/gc',
    target: 'alloc',
    capability: ns('submit-job', 'gc-allocation'),
    streaming: false,
    audited: true,
    params: noParams,
  }),
  'fs.ls': row({
    methods: 'ANY',
    path: '/v1/client/fs/ls/*alloc_id',
    target: 'alloc',
    capability: ns('read-fs'),
    streaming: false,
    audited: true,
    params: parseLs,
  }),
  'fs.stat': row({
    methods: 'ANY',
    path: '/v1/client/fs/stat/*alloc_id',
    target: 'alloc',
    capability: ns('read-fs'),
    streaming: false,
    audited: true,
    params: parsePath,
  }),
  'fs.cat': row({
    methods: 'ANY',
    path: '/v1/client/fs/cat/*alloc_id',
    target: 'alloc',
    capability: ns('read-fs'),
    streaming: true,
    audited: true,
    params: parsePath,
  }),
  'fs.readat': row({
    methods: 'ANY',
    path: '/v1/client/fs/readat/*alloc_id',
    target: 'alloc',
    capability: ns('read-fs'),
    streaming: true,
    audited: true,
    params: parseReadAt,
  }),
  'fs.stream': row({
    methods: 'ANY',
    path: '/v1/client/fs/stream/*alloc_id',
    target: 'alloc',
    capability: ns('read-fs'),
    streaming: true,
    audited: true,
    params: parseStream,
  }),
  'fs.logs': row({
    methods: 'ANY',
    path: '/v1/client/fs/logs/*alloc_id',
    target: 'alloc',
    capability: ns('read-logs', 'read-fs'),
    streaming: true,
    audited: true,
    params: parseLogs,
  }),
  // Nomad's server API, answered by the node that runs the allocation. Nomad's HTTP server
  // takes PUT and POST here, and its Go client (`Allocations().Stop`) sends PUT.
  'alloc.stop': row({
    methods: ['POST', 'PUT'],
    path: '/v1/allocation/:alloc_id/stop',
    target: 'alloc',
    capability: ns('alloc-lifecycle', 'submit-job'),
    streaming: false,
    takesBody: true,
    audited: false,
    params: noParams,
  }),
  // The answering process's own Prometheus metrics (`?format=prometheus` is what scrapers send;
  // the text is Prometheus whatever `format` says). Nomad asks no token here; these counters
  // show the fleet's traffic by route and status, stream counts and quota refusals, so both
  // roles want the right that already shows a node's operational state: node read. A scraper
  // sends a token with it (README, "Metrics").
  metrics: row({
    methods: ['GET'],
    path: '/v1/metrics',
    target: 'self',
    capability: node('read'),
    streaming: false,
    audited: false,
    params: noParams,
  }),
} as const;

export type RouteId = keyof typeof ROUTES;
export const ROUTE_IDS = Object.keys(ROUTES) as RouteId[];

/** The parsed query parameters of a row. */
export type ParamsOf<K extends RouteId> = ReturnType<(typeof ROUTES)[K]['params']>;
/** The parsed body of a row (`undefined` for rows without one). */
export type BodyOf<K extends RouteId> = (typeof ROUTES)[K] extends { parseBody: (raw: string) => infer B }
  ? B
  : undefined;
/** Rows whose target is an allocation. */
export type AllocRouteId = {
  [K in RouteId]: (typeof ROUTES)[K]['target'] extends 'alloc' ? K : never;
}[RouteId];

/**
 * Paths under which an unmatched request is answered with a fixed error instead of falling
 * through: Nomad dispatches `/v1/client/fs/<op>/` itself and answers an unknown `<op>` 404
 * `Invalid method`.
 */
export const UNKNOWN_UNDER: ReadonlyArray<{ readonly prefix: string; readonly error: () => HttpError }> = [
  { prefix: '/v1/client/fs/', error: errors.unknownFsOperation },
];

/** A row's URL for an allocation id (the typed client builds its URLs from the rows). */
export const routePath = (id: RouteId, allocId = ''): string => {
  const p = ROUTES[id].path;
  const enc = encodeURIComponent(allocId);
  return p.replace(':alloc_id', enc).replace('*alloc_id', enc);
};

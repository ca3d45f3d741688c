import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAllowed } from '../acl/authorize';
import { tokenFromHeaders } from '../acl/token-header';
import type { Authenticator, Identity } from '../acl/types';
import { readBody } from '../edge/body';
import { checkBodyAllowed } from '../edge/framing';
import { errors } from '../errors';
import { bindRequestLog } from '../log/http';
import type { Logger } from '../log/logger';
import type { Metrics } from '../log/metrics';
import { isUuid, ROUTES, UNKNOWN_UNDER, type RouteDef, type RouteId } from '../wire';
import { authorizeAudited } from './audit';
import { tally } from './count';
import { createMatcher, decodeAllocId, type Matched } from './match';
import { queryOf } from './query';
import { targetOf } from './target';

/**
 * The request kernel: the one pipeline both roles run for every row of the route table, so the
 * same request gets the same status and body from the gateway and from an agent, checked in
 * the same order:
 *
 *   1. metrics and log bindings (route id), byte counting; a body on a row that takes none is
 *      refused here (edge/framing.ts), before anything else;
 *   2. the row's parameters (alloc id, query; all 400);
 *   3. authenticate the token (403);
 *   4. resolve the allocation of an alloc row (bad shape 400, unknown 404);
 *   5. authorize in the allocation's own namespace, and audit the decision on audited rows (403);
 *   6. read the body of a row that takes one (bounded; never for a caller refused above), and
 *      settle a node row's node: `?node_id`, else the body's NodeID, else the role's default;
 *   7. the role's terminal step: the gateway finds the node and forwards (a `self` row it
 *      answers itself), the agent runs the row's handler.
 *
 * An unknown allocation is therefore 404 even for a caller without the capability (Nomad's
 * order), while a bad token is refused before anything is looked up. Node capabilities do not
 * depend on the node, so a node row is authorized before its node is settled, and an unknown
 * node is only reported to a caller who may use nodes at all (the gateway looks it up in its
 * terminal step, the agent compares it with its own).
 */

/** What authorization needs from an allocation; roles hand back their own richer record. */
export interface AllocScope {
  readonly ID: string;
  readonly Namespace: string;
  readonly NodeID: string;
}

/** Everything the terminal step gets: the checked request. */
export interface Call<A extends AllocScope> {
  readonly id: RouteId;
  readonly row: RouteDef;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The row's parsed parameters (`ParamsOf<id>`). */
  readonly params: unknown;
  /** The body as read and as parsed, on rows that take one. */
  readonly body?: { readonly raw: Buffer; readonly value: unknown };
  readonly identity: Identity;
  /** The resolved allocation (alloc rows). */
  readonly alloc?: A;
  /** Alloc rows: the allocation's node. Node rows: the node asked for (lower case). Self rows: ''. */
  readonly nodeId: string;
}

export interface RoleSteps<A extends AllocScope> {
  readonly authenticator: Authenticator;
  /** Where audit lines go. */
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Look an allocation up by its full (lower-case) id. */
  findAlloc(id: string): Promise<A | undefined>;
  /** Node rows: the node a request without `node_id` means (the gateway has none: 400). */
  defaultNode(): string;
  terminal(call: Call<A>): Promise<void>;
}

const matcher = createMatcher(ROUTES, UNKNOWN_UNDER);

/**
 * The kernel as a `(req, res, next)` function on plain node:http types: the agent calls it from
 * its node:http listener, the gateway mounts it as Express middleware. Rows it owns are
 * answered; other paths go on (`next()`), errors go to `next(err)`.
 */
export type Kernel = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

export const createKernel = <A extends AllocScope>(steps: RoleSteps<A>): Kernel => {
  return (req, res, next) => {
    let m: Matched | undefined;
    try {
      m = matcher.match(req.method ?? 'GET', targetOf(req).path);
    } catch (e) {
      return next(e);
    }
    if (!m) return next();
    run(steps, m, req, res).catch(next);
  };
};

const run = async <A extends AllocScope>(
  steps: RoleSteps<A>,
  m: Matched,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> => {
  // 1. metrics, log bindings, one byte count read by metrics and audit at close.
  const { id, row } = m;
  const t = tally(res);
  const metrics = steps.metrics;
  if (metrics) {
    const done = metrics.startRequest(id, row.streaming);
    t.onClose((o) => {
      metrics.bytes(o.bytes);
      done(o.status);
    });
  }
  bindRequestLog(req, { route: id });

  checkBodyAllowed(req, res, row);

  // 2. parameters.
  const allocId = row.target === 'alloc' ? decodeAllocId(m.rawAllocId) : '';
  if (row.target === 'alloc' && allocId === '') throw errors.missingAllocId();
  const q = queryOf(req);
  const params = row.params(q);

  // 3. the token.
  const identity = await steps.authenticator.authenticate(tokenFromHeaders(req.headers));
  bindRequestLog(req, { accessor: identity.accessorId });

  // 4. resolve the allocation.
  let alloc: A | undefined;
  if (row.target === 'alloc') {
    if (!isUuid(allocId)) throw errors.badAllocIdShape(allocId);
    alloc = await steps.findAlloc(allocId.toLowerCase());
    if (!alloc) throw errors.unknownAlloc(allocId);
    bindRequestLog(req, { alloc: alloc.ID, node: alloc.NodeID });
  }

  // 5. authorize (acl/ decides, purely) and audit.
  if (row.audited && steps.authenticator.enabled) {
    const file = q.get('path');
    const node = alloc ? alloc.NodeID : q.get('node_id');
    authorizeAudited(
      steps.logger,
      identity,
      {
        capability: row.capability,
        path: targetOf(req).path,
        ...(node !== '' ? { nodeId: node } : {}),
        ...(alloc ? { namespace: alloc.Namespace, allocId: alloc.ID } : {}),
        ...(file !== '' ? { file } : {}),
      },
      t,
    );
  } else if (!isAllowed(identity, row.capability, alloc?.Namespace)) throw errors.permissionDenied();

  // 6. the body, then a node row's node.
  let body: Call<A>['body'];
  if (row.takesBody) {
    const raw = await readBody(req, res);
    body = { raw, value: row.parseBody?.(raw.toString('utf8')) };
  }
  let nodeId = '';
  if (alloc) nodeId = alloc.NodeID;
  else if (row.target === 'node') {
    const asked = q.get('node_id') || bodyNodeId(body?.value);
    if (asked !== '' && !isUuid(asked)) throw errors.badNodeIdShape();
    nodeId = asked === '' ? steps.defaultNode() : asked.toLowerCase();
    bindRequestLog(req, { node: nodeId });
  }

  // 7. the role's terminal step.
  await steps.terminal({
    id,
    row,
    req,
    res,
    params,
    identity,
    nodeId,
    ...(body ? { body } : {}),
    ...(alloc ? { alloc } : {}),
  });
};

/** `NodeID` of a parsed body, when the body has one. */
const bodyNodeId = (value: unknown): string =>
  value && typeof value === 'object' && 'NodeID' in value && typeof value.NodeID === 'string'
    ? value.NodeID
    : '';

import { Router, type Request, type Response } from 'express';
import { authorizeAudited, isAuditedRoute } from '../acl/audit';
import { authorize } from '../acl/authorize';
import { tokenFromHeaders } from '../acl/token-header';
import type { Identity } from '../acl/types';
import { errors } from '../errors';
import { allocIdParam, ROUTES, type NodeRecord, type RouteDef, type RouteId } from '../wire';
import { readBody } from '../edge/body';
import { nodeIdFromBody } from './body';
import { forwarderFor, type GatewayDeps } from './deps';
import { lookupNode, reachableNode, resolveAlloc } from './resolve';

interface Target {
  node: NodeRecord;
  body?: Buffer;
}

/** Adds node/alloc/accessor to this request's log line (pino-http child logger). */
const bind = (req: Request, fields: Record<string, string>): void => {
  req.log?.setBindings(fields);
};

/** The `path` query parameter (the file an fs/logs request reads), for the audit line. */
const fileParam = (req: Request): string | undefined => {
  // A repeated parameter is served with its first value (as Nomad does): audit that one.
  const p = req.query['path'];
  const first = Array.isArray(p) ? p[0] : p;
  return typeof first === 'string' ? first : undefined;
};

/**
 * The authorize step. fs/logs/GC decisions also write one audit line (with the bytes sent, once
 * the response ends); with ACLs off there is no decision to record, so nothing is logged.
 */
const decide = (
  deps: GatewayDeps,
  req: Request,
  res: Response,
  route: RouteDef,
  identity: Identity,
  at: { namespace?: string; allocId?: string; nodeId: string },
): void => {
  if (!deps.authenticator.enabled || !isAuditedRoute(route))
    return authorize(identity, route.capability, at.namespace);
  const file = fileParam(req);
  authorizeAudited(
    deps.logger,
    identity,
    route.capability,
    { ...at, path: req.path, ...(file !== undefined ? { file } : {}) },
    res,
  );
};

/**
 * Alloc routes (spec §1.2): a bad token fails first, then the allocation is resolved (so an
 * unknown one is reported as unknown even to an unauthorized caller), then the capability is
 * checked in the ALLOCATION's namespace, then its node.
 */
const allocTarget = async (
  deps: GatewayDeps,
  req: Request,
  res: Response,
  route: RouteDef,
  identity: Identity,
): Promise<Target> => {
  const id = allocIdParam(req.params);
  if (!id) throw errors.missingAllocId();
  const alloc = await resolveAlloc(deps.registry, id);
  bind(req, { alloc: alloc.ID, node: alloc.NodeID });
  decide(deps, req, res, route, identity, {
    namespace: alloc.Namespace,
    allocId: alloc.ID,
    nodeId: alloc.NodeID,
  });
  return { node: reachableNode(await lookupNode(deps.registry, alloc.NodeID)) };
};

/**
 * Node routes (spec §1.1/§1.2): `?node_id`, else (POST metadata) `NodeID` of the body, which is
 * read here and replayed to the agent. The ACL check comes before the node lookup, as in Nomad.
 */
const nodeTarget = async (
  deps: GatewayDeps,
  req: Request,
  res: Response,
  route: RouteDef,
  identity: Identity,
): Promise<Target> => {
  const q = req.query['node_id'];
  let nodeId = typeof q === 'string' ? q : Array.isArray(q) && typeof q[0] === 'string' ? q[0] : '';
  let body: Buffer | undefined;
  if (route.takesBody) {
    // Node capabilities are fleet-wide: the caller is authorized before a byte of body is read.
    authorize(identity, route.capability);
    body = await readBody(req, res);
    if (!nodeId) nodeId = nodeIdFromBody(body) ?? '';
  }
  if (!nodeId) throw errors.noNodeId();
  bind(req, { node: nodeId });
  decide(deps, req, res, route, identity, { nodeId });
  const node = reachableNode(await lookupNode(deps.registry, nodeId));
  return body ? { node, body } : { node };
};

const handler = (deps: GatewayDeps, id: RouteId, route: RouteDef) => async (req: Request, res: Response) => {
  const done = deps.metrics?.startRequest(id, route.streaming);
  if (done) res.once('close', () => done(res.statusCode));
  bind(req, { route: id });
  const identity = await deps.authenticator.authenticate(tokenFromHeaders(req.headers));
  bind(req, { accessor: identity.accessorId });
  const target =
    route.target === 'alloc'
      ? await allocTarget(deps, req, res, route, identity)
      : await nodeTarget(deps, req, res, route, identity);
  if (route.streaming) deps.streamQuota?.admit(identity, res);
  // Rows that take a body get it read here, after authorization; the forwarder refuses bodies elsewhere.
  const body = target.body ?? (route.takesBody ? await readBody(req, res) : undefined);
  await forwarderFor(deps, target.node).forward(req, res, target.node, route, body);
};

/** One handler per row of the route table; methods as the row says, 405 for the rest of a GET/POST path. */
export const clientRoutes = (deps: GatewayDeps): Router => {
  const r = Router();
  const explicit = new Set<string>();
  for (const [id, route] of Object.entries(ROUTES) as [RouteId, RouteDef][]) {
    const h = handler(deps, id, route);
    if (route.method === 'ANY') r.all(route.path, h);
    else {
      if (route.method === 'GET') r.get(route.path, h);
      else r.post(route.path, h);
      explicit.add(route.path);
    }
  }
  for (const path of explicit) {
    r.all(path, () => {
      throw errors.invalidMethod();
    });
  }
  return r;
};

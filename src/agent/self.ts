import type { IncomingMessage as Request, ServerResponse as Response } from 'node:http';
import { authorize } from '../acl/authorize';
import { tokenFromHeaders } from '../acl/token-header';
import type { RouteCapability } from '../wire';
import type { AgentAppDeps } from './deps';
import { sendJson } from '../http/json';
import { bindRequestLog } from '../log/http';

const NODE_READ: RouteCapability = { kind: 'node', level: 'read' };

/**
 * `/v1/agent/self` shows what `/v1/client/metadata` protects, so it needs the same right: a
 * token with node read (403 otherwise; with ACLs off every caller has it). (`/v1/metrics`
 * needs it too, but as a route row the request kernel checks that.)
 */
export const requireNodeRead = async (deps: AgentAppDeps, req: Request): Promise<void> => {
  if (!deps.authenticator.enabled) return;
  const identity = await deps.authenticator.authenticate(tokenFromHeaders(req.headers));
  bindRequestLog(req, { accessor: identity.accessorId });
  authorize(identity, NODE_READ);
};

/**
 * `GET /v1/agent/self`: a Nomad-like `{config, member, stats}` subset — enough for `nomad`
 * tooling and operators to see which node answered. It needs node read (requireNodeRead) and
 * never shows host paths (no DataDir).
 */
export const agentSelf = (deps: AgentAppDeps) => async (req: Request, res: Response) => {
  await requireNodeRead(deps, req);
  const n = deps.node;
  const [host, port] = splitHostPort(n.httpAddr());
  sendJson(req, res, {
    config: {
      Datacenter: n.datacenter,
      NodeName: n.name,
      Version: { Version: n.version },
      Client: { Enabled: true, NodeID: n.id, Meta: deps.meta.merged() },
      Server: { Enabled: false },
      AdvertiseURL: n.advertiseUrl(),
      ACL: { Enabled: deps.authenticator.enabled },
    },
    member: {
      Name: n.name,
      Addr: host,
      Port: port,
      Status: 'alive',
      Tags: { dc: n.datacenter, build: n.version },
    },
    stats: { client: { node_id: n.id, known_allocs: String(deps.manifests.list().length) } },
  });
};

/** `GET /v1/agent/health`: Nomad's shape for a client-only agent. */
export const agentHealth = (req: Request, res: Response) => {
  sendJson(req, res, { client: { ok: true, message: 'ok' } });
};

const splitHostPort = (addr: string): [string, number] => {
  const i = addr.lastIndexOf(':');
  return [addr.slice(0, i).replace(/^\[|\]$/g, ''), Number(addr.slice(i + 1))];
};

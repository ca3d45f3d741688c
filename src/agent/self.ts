import type { Request, Response } from 'express';
import type { AgentAppDeps } from './deps';
import { sendJson } from './respond';

/**
 * `GET /v1/agent/self`: a Nomad-like `{config, member, stats}` subset — enough for `nomad`
 * tooling and operators to see which node answered. Unauthenticated, like `/v1/agent/health`:
 * it reveals nothing a registry listing does not.
 */
export const agentSelf = (deps: AgentAppDeps) => (req: Request, res: Response) => {
  const n = deps.node;
  const [host, port] = splitHostPort(n.httpAddr());
  sendJson(req, res, {
    config: {
      Datacenter: n.datacenter,
      NodeName: n.name,
      DataDir: deps.dataDir,
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

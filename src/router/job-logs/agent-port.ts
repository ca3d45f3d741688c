import type tls from 'node:tls';
import { GATEWAY_TLS_FIX } from '../../config/tls';
import { isHttpError } from '../../errors';
import type { Registry } from '../../registry/registry';
import { asAllocId, type AllocFileInfo, type NodeRecord } from '../../wire';
import { routePath } from '../../wire/routes';
import {
  ApiError,
  Endpoint,
  NodeDownError,
  readAll,
  type LogsPort,
  type LogsQuery,
  type Opened,
} from '../../wire/follow';

/**
 * The gateway's way to the agents for the job-wide stream: the LogsPort the shared follower
 * resumes through. Every call looks the allocation's node up again (the cached registry makes
 * that free), so a restarted agent on a new address is found, and a node whose heartbeat lapsed
 * fails at once (NodeDownError, retried by the follower) instead of waiting on a connect timeout.
 * The caller's own token goes with each request: agents check it as they check any caller.
 */
export class AgentLogsPort implements LogsPort {
  private readonly endpoints = new Map<string, Endpoint>();

  constructor(
    private readonly registry: Registry,
    private readonly token: string | undefined,
    private readonly connectTimeoutMs: number,
    /** CA, the gateway's client certificate and the agent name to check, for https:// agents. */
    private readonly tls: tls.ConnectionOptions = {},
  ) {}

  async ls(allocId: string, path: string, signal?: AbortSignal): Promise<AllocFileInfo[]> {
    const ep = await this.endpointFor(allocId);
    const res = await ep.open({
      path: routePath('fs.ls', allocId),
      query: { path },
      connectTimeoutMs: this.connectTimeoutMs,
      ...(signal ? { signal } : {}),
    });
    return (JSON.parse((await readAll(res)).toString('utf8')) as AllocFileInfo[] | null) ?? [];
  }

  async logs(allocId: string, q: LogsQuery, signal?: AbortSignal): Promise<Opened> {
    const ep = await this.endpointFor(allocId);
    const res = await ep.open({
      path: routePath('fs.logs', allocId),
      query: { task: q.task, type: q.type, follow: q.follow, origin: q.origin, offset: q.offset },
      connectTimeoutMs: this.connectTimeoutMs,
      ...(signal ? { signal } : {}),
    });
    return { res, via: 'node', base: ep.base };
  }

  /** The node of an allocation, as the registry knows it now. */
  async nodeOf(allocId: string): Promise<NodeRecord> {
    try {
      const alloc = await this.registry.getAlloc(asAllocId(allocId));
      if (!alloc) throw new ApiError(404, `Unknown allocation "${allocId}"`, allocId, 'gateway');
      const node = await this.registry.getNode(alloc.NodeID);
      if (!node) throw new ApiError(404, `Unknown node ${alloc.NodeID}`, alloc.NodeID, 'gateway');
      return node;
    } catch (e) {
      // A registry outage is a 503 the follower retries, like an unreachable node.
      if (isHttpError(e)) throw new ApiError(e.status, e.message, 'registry', 'gateway');
      throw e;
    }
  }

  private async endpointFor(allocId: string): Promise<Endpoint> {
    const node = await this.nodeOf(allocId);
    if (node.Status === 'down') throw new NodeDownError(node.ID, node.Name);
    if (!node.AdvertiseURL)
      throw new ApiError(503, `No path to node: node ${node.ID} has no advertised address`, '', 'gateway');
    let ep = this.endpoints.get(node.AdvertiseURL);
    if (!ep) {
      ep = new Endpoint(node.AdvertiseURL, 'node', this.token, this.tls, GATEWAY_TLS_FIX);
      this.endpoints.set(node.AdvertiseURL, ep);
    }
    return ep;
  }
}

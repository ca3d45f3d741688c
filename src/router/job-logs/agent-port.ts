import type tls from 'node:tls';
import { GATEWAY_TLS_FIX } from '../../config/tls';
import { isHttpError } from '../../errors';
import type { Registry } from '../../registry/registry';
import {
  asAllocId,
  type AllocFileInfo,
  type AllocRecord,
  type Capability,
  type NodeRecord,
} from '../../wire';
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
 * Each request carries what `credential` gives for its allocation and capability: a node
 * assertion (the caller's token stays at the gateway), or the caller's token with ACLs off.
 */
export class AgentLogsPort implements LogsPort {
  private readonly endpoints = new Map<string, Endpoint>();

  constructor(
    private readonly registry: Registry,
    private readonly credential: (alloc: AllocRecord, capability: Capability) => string | undefined,
    private readonly connectTimeoutMs: number,
    /** CA, the gateway's client certificate and the agent name to check, for https:// agents. */
    private readonly tls: tls.ConnectionOptions = {},
  ) {}

  async ls(allocId: string, path: string, signal?: AbortSignal): Promise<AllocFileInfo[]> {
    const { ep, headers } = await this.endpointFor(allocId, 'read-fs');
    const res = await ep.open({
      headers,
      path: routePath('fs.ls', allocId),
      query: { path },
      connectTimeoutMs: this.connectTimeoutMs,
      ...(signal ? { signal } : {}),
    });
    return (JSON.parse((await readAll(res)).toString('utf8')) as AllocFileInfo[] | null) ?? [];
  }

  async logs(allocId: string, q: LogsQuery, signal?: AbortSignal): Promise<Opened> {
    const { ep, headers } = await this.endpointFor(allocId, 'read-logs');
    const res = await ep.open({
      headers,
      path: routePath('fs.logs', allocId),
      query: { task: q.task, type: q.type, follow: q.follow, origin: q.origin, offset: q.offset },
      connectTimeoutMs: this.connectTimeoutMs,
      ...(signal ? { signal } : {}),
    });
    return { res, via: 'node', base: ep.base };
  }

  /** The node of an allocation, as the registry knows it now. */
  async nodeOf(allocId: string): Promise<NodeRecord> {
    return (await this.placement(allocId)).node;
  }

  private async placement(allocId: string): Promise<{ alloc: AllocRecord; node: NodeRecord }> {
    try {
      const alloc = await this.registry.getAlloc(asAllocId(allocId));
      if (!alloc) throw new ApiError(404, `Unknown allocation "${allocId}"`, allocId, 'gateway');
      const node = await this.registry.getNode(alloc.NodeID);
      if (!node) throw new ApiError(404, `Unknown node ${alloc.NodeID}`, alloc.NodeID, 'gateway');
      return { alloc, node };
    } catch (e) {
      // A registry outage is a 503 the follower retries, like an unreachable node.
      if (isHttpError(e)) throw new ApiError(e.status, e.message, 'registry', 'gateway');
      throw e;
    }
  }

  private async endpointFor(
    allocId: string,
    capability: Capability,
  ): Promise<{ ep: Endpoint; headers: Record<string, string> }> {
    const { alloc, node } = await this.placement(allocId);
    if (node.Status === 'down') throw new NodeDownError(node.ID, node.Name);
    if (!node.AdvertiseURL)
      throw new ApiError(503, `No path to node: node ${node.ID} has no advertised address`, '', 'gateway');
    let ep = this.endpoints.get(node.AdvertiseURL);
    if (!ep) {
      ep = new Endpoint(node.AdvertiseURL, 'node', undefined, this.tls, GATEWAY_TLS_FIX);
      this.endpoints.set(node.AdvertiseURL, ep);
    }
    const credential = this.credential(alloc, capability);
    return { ep, headers: credential ? { 'X-Nomad-Token': credential } : {} };
  }
}

import type http from 'node:http';
import { Endpoint, type RequestSpec } from '../wire/follow/endpoint';
import { NodeRouter, type Opened, type OpenedDownload } from './route';
import { routePath } from '../wire/routes';
import type {
  AclPolicy,
  AclToken,
  JoinToken,
  AclTokenRequest,
  AllocFileInfo,
  AllocResourceUsage,
  AllocDetail,
  AllocStub,
  ClientOptions,
  HostStats,
  JobLogsQuery,
  LogsQuery,
  NodeMetaResponse,
  NodeRecord,
  NodeStub,
  StreamQuery,
} from './types';

const enc = encodeURIComponent;

/**
 * The typed client for the whole fleetgate API; the CLI's only way to talk to fleetgate.
 * Server-side reads and writes go to the gateway; fs and logs go direct-to-node first
 * (NodeRouter). Streaming calls return the open response so bodies are never buffered.
 */
export class FleetgateClient {
  readonly gateway: Endpoint;
  private readonly router: NodeRouter;

  constructor(readonly options: ClientOptions) {
    this.gateway = new Endpoint(options.address, 'gateway', options.token, options.tls);
    this.router = new NodeRouter(
      this.gateway,
      options.token,
      options.direct ?? 'auto',
      options.nodeConnectTimeoutMs ?? 1000,
      options.log ?? (() => undefined),
      options.tls,
    );
  }

  // --- Nomad server reads the gateway serves from the registry ---
  nodes(prefix?: string): Promise<NodeStub[]> {
    return this.gateway.json<NodeStub[]>({ path: '/v1/nodes', query: { prefix } }).then((l) => l ?? []);
  }
  node(nodeId: string): Promise<NodeRecord> {
    return this.gateway.json<NodeRecord>({ path: `/v1/node/${enc(nodeId)}` });
  }
  allocations(prefix?: string): Promise<AllocStub[]> {
    return this.gateway
      .json<AllocStub[]>({ path: '/v1/allocations', query: { prefix } })
      .then((l) => l ?? []);
  }
  allocation(allocId: string): Promise<AllocDetail> {
    return this.gateway.json<AllocDetail>({ path: `/v1/allocation/${enc(allocId)}` });
  }
  stopAlloc(allocId: string): Promise<unknown> {
    return this.gateway.json<unknown>({ method: 'POST', path: routePath('alloc.stop', allocId) });
  }

  // --- /v1/client/* addressed by node or allocation (gateway) ---
  nodeStats(nodeId: string): Promise<HostStats> {
    return this.gateway.json<HostStats>({ path: routePath('stats.host'), query: { node_id: nodeId } });
  }
  async gcNode(nodeId: string): Promise<void> {
    await this.gateway.text({ path: routePath('gc.all'), query: { node_id: nodeId } });
  }
  metaRead(nodeId: string): Promise<NodeMetaResponse> {
    return this.gateway.json<NodeMetaResponse>({
      path: routePath('metadata.read'),
      query: { node_id: nodeId },
    });
  }
  metaApply(nodeId: string, meta: Record<string, string | null>): Promise<NodeMetaResponse> {
    return this.gateway.json<NodeMetaResponse>({
      method: 'POST',
      path: routePath('metadata.apply'),
      query: { node_id: nodeId },
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ NodeID: nodeId, Meta: meta }),
    });
  }
  allocStats(allocId: string, task?: string): Promise<AllocResourceUsage> {
    return this.gateway.json<AllocResourceUsage>({
      path: routePath('alloc.stats', allocId),
      query: { task },
    });
  }
  async gcAlloc(allocId: string): Promise<void> {
    await this.gateway.text({ path: routePath('alloc.gc', allocId) });
  }

  // --- fs and logs: direct to the node first ---
  async ls(allocId: string, path: string, signal?: AbortSignal): Promise<AllocFileInfo[]> {
    return (
      (await jsonOf<AllocFileInfo[]>(
        this.alloc(allocId, { path: routePath('fs.ls', allocId), query: { path }, signal }),
      )) ?? []
    );
  }
  stat(allocId: string, path: string): Promise<AllocFileInfo> {
    return jsonOf<AllocFileInfo>(
      this.alloc(allocId, { path: routePath('fs.stat', allocId), query: { path } }),
    );
  }
  cat(allocId: string, path: string, signal?: AbortSignal): Promise<Opened> {
    return this.alloc(allocId, { path: routePath('fs.cat', allocId), query: { path }, signal });
  }
  readAt(
    allocId: string,
    path: string,
    offset: number,
    limit?: number,
    signal?: AbortSignal,
  ): Promise<Opened> {
    return this.alloc(allocId, {
      path: routePath('fs.readat', allocId),
      query: { path, offset, limit },
      signal,
    });
  }
  /**
   * The file from `offset` (fs/cat, or fs/readat past 0) as a download to copy to stdout or a
   * file: the bulk path, read through one reused buffer (`Endpoint.download`).
   */
  download(allocId: string, path: string, offset = 0, signal?: AbortSignal): Promise<OpenedDownload> {
    const spec =
      offset > 0
        ? { path: routePath('fs.readat', allocId), query: { path, offset } }
        : { path: routePath('fs.cat', allocId), query: { path } };
    return this.router.download(allocId, signal ? { ...spec, signal } : spec);
  }
  stream(allocId: string, q: StreamQuery, signal?: AbortSignal): Promise<Opened> {
    const query = { path: q.path, follow: q.follow, origin: q.origin, offset: q.offset };
    return this.alloc(allocId, { path: routePath('fs.stream', allocId), query, signal });
  }
  logs(allocId: string, q: LogsQuery, signal?: AbortSignal): Promise<Opened> {
    const query = {
      task: q.task,
      type: q.type,
      follow: q.follow,
      origin: q.origin,
      offset: q.offset,
      plain: q.plain,
    };
    return this.alloc(allocId, { path: routePath('fs.logs', allocId), query, signal });
  }

  /** `GET /v1/job/:id/logs`: every allocation of a job in one framed stream (gateway only). */
  jobLogs(jobId: string, q: JobLogsQuery, signal?: AbortSignal): Promise<http.IncomingMessage> {
    return this.gateway.open({
      path: `/v1/job/${enc(jobId)}/logs`,
      query: { ...q },
      ...(signal ? { signal } : {}),
    });
  }

  // --- ACL API on the gateway ---
  aclBootstrap(): Promise<AclToken> {
    return this.gateway.json<AclToken>({ method: 'POST', path: '/v1/acl/bootstrap' });
  }
  async aclPolicyApply(p: AclPolicy): Promise<void> {
    await this.gateway.text({
      method: 'POST',
      path: `/v1/acl/policy/${enc(p.Name)}`,
      headers: json,
      body: JSON.stringify(p),
    });
  }
  aclTokenCreate(t: AclTokenRequest): Promise<AclToken> {
    return this.gateway.json<AclToken>({
      method: 'POST',
      path: '/v1/acl/token',
      headers: json,
      body: JSON.stringify(t),
    });
  }
  async aclTokenRevoke(accessorId: string): Promise<void> {
    await this.gateway.text({ method: 'DELETE', path: `/v1/acl/token/${enc(accessorId)}` });
  }

  /** A node join token (`fleetgate node join-token create`); SecretID goes in the agent's --join-token file. */
  joinTokenCreate(t: { Name?: string; ExpirationTTL?: string }): Promise<JoinToken> {
    return this.gateway.json<JoinToken>({
      method: 'POST',
      path: '/v1/acl/join-token',
      headers: json,
      body: JSON.stringify(t),
    });
  }
  async joinTokenRevoke(accessorId: string): Promise<void> {
    await this.gateway.text({ method: 'DELETE', path: `/v1/acl/join-token/${enc(accessorId)}` });
  }

  /** Any request to the gateway, any status (`operator api`). */
  raw(spec: RequestSpec): Promise<http.IncomingMessage> {
    return this.gateway.send(spec);
  }

  private alloc(allocId: string, spec: RequestSpec): Promise<Opened> {
    return this.router.open(allocId, spec);
  }
}

const json = { 'Content-Type': 'application/json' };

const jsonOf = async <T>(opened: Promise<Opened>): Promise<T> => {
  const { res } = await opened;
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
};

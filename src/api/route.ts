import type tls from 'node:tls';
import type { Opened } from '../wire/follow';
import { ApiError, NetworkError, NodeDownError, type Via } from './errors';
import type { BulkBody } from '../wire/follow/bulk';
import { Endpoint, type RequestSpec } from '../wire/follow/endpoint';
import type { AllocStub, DirectMode, NodeStub } from './types';

/** Where an allocation's node agent can be reached, learnt from the gateway. */
interface NodeRoute {
  nodeId: string;
  name: string;
  httpAddr: string;
}

export type { Opened };

/** A 2xx download (`Endpoint.download`) and where it came from. */
export interface OpenedDownload {
  body: BulkBody;
  via: Via;
  base: string;
}

/**
 * The direct-to-node decision of Nomad's api client, shared by every fs/logs call:
 * look the node up through the gateway, fail at once when it is down, try its agent with a short
 * connect timeout and fall back to the gateway only when that attempt never got an HTTP answer.
 * An HTTP error from the node (403, 404, ...) is final: the gateway would say the same.
 */
export class NodeRouter {
  /** Last known route per allocation: lets a resuming follower go direct while the gateway is down. */
  private readonly known = new Map<string, NodeRoute>();

  constructor(
    private readonly gateway: Endpoint,
    private readonly token: string | undefined,
    private readonly mode: DirectMode,
    private readonly connectTimeoutMs: number,
    private readonly log: (line: string) => void,
    private readonly tls: tls.ConnectionOptions | undefined = undefined,
  ) {}

  /** Nodes speak TLS when the client does (a cluster is TLS everywhere or nowhere, as in Nomad). */
  private get nodeScheme(): 'http' | 'https' {
    return this.tls !== undefined || this.gateway.base.startsWith('https:') ? 'https' : 'http';
  }

  async open(allocId: string, spec: RequestSpec): Promise<Opened> {
    const { res, via, base } = await this.route(allocId, spec, (ep, s) => ep.open(s));
    return { res, via, base };
  }

  /** The same route as `open`, for a body read through `Endpoint.download`. */
  async download(allocId: string, spec: RequestSpec): Promise<OpenedDownload> {
    const { res, via, base } = await this.route(allocId, spec, (ep, s) => ep.download(s));
    return { body: res, via, base };
  }

  private async route<T>(
    allocId: string,
    spec: RequestSpec,
    send: (ep: Endpoint, spec: RequestSpec) => Promise<T>,
  ): Promise<{ res: T; via: Via; base: string }> {
    if (this.mode === 'never') return this.viaGateway(spec, send, 'direct access disabled (--direct never)');
    let route: NodeRoute | undefined;
    try {
      route = await this.lookup(allocId);
    } catch (err) {
      if (err instanceof NodeDownError) throw err;
      if (err instanceof ApiError && err.status === 404) throw err;
      route = this.known.get(allocId);
      if (!route) {
        if (this.mode === 'always' || err instanceof NetworkError) throw err;
        return this.viaGateway(spec, send, `node lookup failed (${(err as Error).message})`);
      }
      this.log(`gateway lookup failed (${(err as Error).message}); using the last known node address`);
    }
    if (!route.httpAddr) {
      if (this.mode === 'always')
        throw new Error(`http addr of node "${route.name}" (${route.nodeId}) is not advertised`);
      return this.viaGateway(spec, send, `node ${route.name} advertises no HTTP address`);
    }
    const node = new Endpoint(`${this.nodeScheme}://${route.httpAddr}`, 'node', this.token, this.tls);
    try {
      const res = await send(node, { ...spec, connectTimeoutMs: this.connectTimeoutMs });
      this.log(`direct: node ${route.name} at ${node.base}`);
      return { res, via: 'node', base: node.base };
    } catch (err) {
      // A TlsError is not a NetworkError: a certificate problem is reported, never retried in clear.
      if (!(err instanceof NetworkError) || this.mode === 'always') throw err;
      return this.viaGateway(spec, send, `node ${route.name} at ${node.base} unreachable (${err.code})`);
    }
  }

  private async viaGateway<T>(
    spec: RequestSpec,
    send: (ep: Endpoint, spec: RequestSpec) => Promise<T>,
    why: string,
  ): Promise<{ res: T; via: Via; base: string }> {
    this.log(`via gateway ${this.gateway.base}: ${why}`);
    return { res: await send(this.gateway, spec), via: 'gateway', base: this.gateway.base };
  }

  private async lookup(allocId: string): Promise<NodeRoute> {
    const alloc = await this.gateway.json<AllocStub>({
      path: `/v1/allocation/${encodeURIComponent(allocId)}`,
    });
    const node = await this.gateway.json<NodeStub>({ path: `/v1/node/${encodeURIComponent(alloc.NodeID)}` });
    if (node.Status === 'down') throw new NodeDownError(node.ID, node.Name);
    const route = { nodeId: node.ID, name: node.Name, httpAddr: node.HTTPAddr ?? '' };
    this.known.set(allocId, route);
    return route;
  }
}

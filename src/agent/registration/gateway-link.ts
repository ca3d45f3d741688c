import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { AclSnapshot } from '../../acl/state-feed';
import {
  JOIN_TOKEN_HEADER,
  NODE_API,
  NODE_SECRET_HEADER,
  type AllocId,
  type AllocManifest,
  type NodeId,
} from '../../wire';
import { writeFileAtomic } from '../node/atomic-write';
import { clientDir } from '../node/identity';
import type { GatewayClient, GatewayResponse } from './gateway-client';
import type { AclWatchAnswer, NodeInput, NodeLink } from './link';

/** `<data-dir>/client/secret-id`: the node's secret from its first registration (mode 0600). */
export const secretFile = (dataDir: string): string => path.join(clientDir(dataDir), 'secret-id');

export class GatewayRefused extends Error {
  override name = 'GatewayRefused';
}

/** The gateway no longer knows this node (its registry lost its state): join again. */
const REJOIN = 410;

const ok = (res: GatewayResponse, what: string): unknown => {
  if (res.status === 200) return res.text ? (JSON.parse(res.text) as unknown) : {};
  const hint =
    res.status === 403
      ? ' (check the join token: valid, not expired, not revoked — or, for a node that joined before, its client/secret-id)'
      : '';
  throw new GatewayRefused(`${what}: ${res.url} answered ${res.status} ${res.text.slice(0, 300)}${hint}`);
};

/**
 * NodeLink over the gateways' node API. The node makes its own secret (kept in
 * `client/secret-id`, as a Nomad client does) and presents it on every call; the join token is
 * presented only to join — the first time, and again whenever a gateway answers 410 because
 * its registry lost the node (Redis restarted empty). The join token file is read at each join,
 * so an operator can put a fresh token there without restarting the agent.
 */
export class GatewayLink implements NodeLink {
  private joining: boolean;
  private markRegistered: () => void = () => undefined;
  /**
   * Resolves at the first accepted registration: before it the gateways know no secret of this
   * node, and every other call (the ACL watch among them) is answered 410.
   */
  readonly registered = new Promise<void>((r) => (this.markRegistered = r));

  private constructor(
    private readonly client: GatewayClient,
    private readonly nodeId: NodeId,
    private readonly secret: string,
    private readonly joinTokenFile: string | undefined,
    fresh: boolean,
  ) {
    this.joining = fresh;
  }

  static async open(
    client: GatewayClient,
    nodeId: NodeId,
    dataDir: string,
    joinTokenFile?: string,
  ): Promise<GatewayLink> {
    const file = secretFile(dataDir);
    const text = await fs.readFile(file, 'utf8').catch(() => undefined);
    let secret = text?.trim() || undefined;
    const fresh = secret === undefined;
    if (fresh && !joinTokenFile)
      throw new Error(
        `this node has not joined yet (no ${file}): give --join-token FILE ` +
          '(create one with `fleetgate node join-token create`)',
      );
    if (!secret) {
      secret = randomBytes(32).toString('base64url');
      await writeFileAtomic(file, `${secret}\n`, 0o600);
    }
    return new GatewayLink(client, nodeId, secret, joinTokenFile, fresh);
  }

  private headers(): Record<string, string> {
    return { [NODE_SECRET_HEADER]: this.secret };
  }

  private async joinToken(): Promise<string> {
    if (!this.joinTokenFile)
      throw new GatewayRefused(
        'the gateway does not know this node (its registry lost it) and no --join-token FILE is set: ' +
          'restart the agent with --join-token FILE (`fleetgate node join-token create`)',
      );
    const t = (await fs.readFile(this.joinTokenFile, 'utf8').catch(() => '')).trim();
    if (!t) throw new GatewayRefused(`cannot read a join token from ${this.joinTokenFile}`);
    return t;
  }

  /** Marks a 410 answer: the next registration joins again. */
  private rejoin(res: GatewayResponse): boolean {
    if (res.status !== REJOIN) return false;
    this.joining = true;
    return true;
  }

  async register(node: NodeInput, ttlMs: number): Promise<void> {
    const send = async () =>
      this.client.request('PUT', NODE_API.register(this.nodeId), {
        body: { Node: node, TTLMs: ttlMs },
        headers: {
          ...this.headers(),
          ...(this.joining ? { [JOIN_TOKEN_HEADER]: await this.joinToken() } : {}),
        },
      });
    let res = await send();
    if (!this.joining && this.rejoin(res)) res = await send();
    try {
      ok(res, this.joining ? `joining with the token in ${this.joinTokenFile}` : 'node registration');
    } catch (e) {
      if (this.joining && res.status === 403)
        throw new GatewayRefused(
          `${(e as Error).message}; if the gateway lost its registry, its join tokens may be gone too: ` +
            `create a new one (\`fleetgate node join-token create\`) and write it to ${this.joinTokenFile}`,
        );
      throw e;
    }
    this.joining = false;
    this.markRegistered();
  }

  async heartbeat(ttlMs: number): Promise<boolean> {
    const res = await this.client.request('PUT', NODE_API.heartbeat(this.nodeId), {
      body: { TTLMs: ttlMs },
      headers: this.headers(),
    });
    // 404: the record lapsed, register again; 410: the registry lost the node, join again.
    if (res.status === 404 || this.rejoin(res)) return false;
    ok(res, 'heartbeat');
    return true;
  }

  async putAllocs(allocs: readonly AllocManifest[], complete: boolean): Promise<AllocId[]> {
    const res = await this.client.request('PUT', NODE_API.allocs(this.nodeId), {
      body: { Allocs: allocs, Complete: complete },
      headers: this.headers(),
    });
    this.rejoin(res);
    return (ok(res, 'allocations') as { Refused?: AllocId[] }).Refused ?? [];
  }

  async removeAlloc(id: AllocId): Promise<void> {
    const res = await this.client.request('DELETE', NODE_API.alloc(this.nodeId, id), {
      headers: this.headers(),
    });
    this.rejoin(res);
    ok(res, 'allocation removal');
  }

  /** One blocking ACL watch call: answers when the state differs from `etag`, or after `waitMs`. */
  async watchAcl(etag: string | undefined, waitMs: number, signal?: AbortSignal): Promise<AclWatchAnswer> {
    const q = `?wait=${waitMs}${etag ? `&etag=${encodeURIComponent(etag)}` : ''}`;
    const res = await this.client.request('GET', `${NODE_API.acl(this.nodeId)}${q}`, {
      headers: this.headers(),
      timeoutMs: waitMs + 5000,
      ...(signal ? { signal } : {}),
    });
    this.rejoin(res);
    const body = ok(res, 'ACL watch') as AclSnapshot & { ETag: string };
    const { ETag, ...snapshot } = body;
    return { etag: ETag, snapshot };
  }
}

import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { errors } from '../errors';
import {
  advertiseOrigin,
  ADVERTISE_RULE,
  type AllocId,
  type AllocManifest,
  type NodeId,
  type NodeRecord,
} from '../wire';
import type { Registry } from './registry';

export type NodeInput = Omit<NodeRecord, 'Status' | 'LastHeartbeat'>;

/** What a node presents: the join token on first registration, its own secret after that. */
export interface NodeCredentials {
  joinToken?: string;
  nodeSecret?: string;
}

export interface IssuedJoinToken {
  AccessorID: string;
  /** `<accessor>.<secret>`: what the agent's `--join-token FILE` holds. */
  SecretID: string;
  Name: string;
  ExpirationTime: string;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

const sameHash = (a: string, b: string): boolean => {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
};

const secret = (): string => randomBytes(32).toString('base64url');

/**
 * Who may write which node records (the gateway side of the node API). A node is admitted once,
 * with a join token an operator created; it then gets a secret of its own, stored only as a
 * hash, that every later call must present — Nomad's node SecretID. A node changes only its
 * own records: its node record, and allocations that no other node holds.
 */
export class NodeAdmission {
  private readonly staticHash: string | undefined;

  /**
   * `staticJoinToken`: one more join token, given to the gateway in a file rather than created
   * through the API — for automated set-ups (docker compose) that start agents before anyone
   * has bootstrapped ACLs. It admits nodes for as long as the gateway is configured with it.
   */
  constructor(
    private readonly registry: Registry,
    private readonly log: Logger,
    staticJoinToken?: string,
  ) {
    this.staticHash = staticJoinToken ? sha256(staticJoinToken) : undefined;
  }

  async createJoinToken(name: string, ttlMs: number): Promise<IssuedJoinToken> {
    const accessor = randomUUID();
    const s = secret();
    const expiresAt = Date.now() + ttlMs;
    await this.registry.putJoinToken({
      AccessorID: accessor,
      Name: name,
      SecretHash: sha256(s),
      ExpiresAt: expiresAt,
    });
    return {
      AccessorID: accessor,
      SecretID: `${accessor}.${s}`,
      Name: name,
      ExpirationTime: new Date(expiresAt).toISOString(),
    };
  }

  revokeJoinToken(accessor: string): Promise<void> {
    return this.registry.deleteJoinToken(accessor);
  }

  private async joinTokenValid(token: string | undefined): Promise<boolean> {
    if (!token) return false;
    if (this.staticHash && sameHash(this.staticHash, sha256(token))) return true;
    const dot = token.indexOf('.');
    if (dot <= 0) return false;
    const rec = await this.registry.getJoinToken(token.slice(0, dot));
    return (
      rec !== undefined &&
      rec.ExpiresAt > Date.now() &&
      sameHash(rec.SecretHash, sha256(token.slice(dot + 1)))
    );
  }

  /**
   * Checks a registration's credentials, from headers only (before any body is read). A node ID
   * with a stored secret registers only with that secret — a join token never replaces it, so
   * nobody takes over an admitted node's identity. An ID without a stored secret (a new node, or
   * one the registry lost, e.g. Redis restarted empty) needs a valid join token. `joining`: the
   * secret is still to be stored (by `register`, once the body is known to be good).
   */
  async admit(id: NodeId, creds: NodeCredentials): Promise<{ joining: boolean }> {
    const stored = await this.registry.nodeSecret(id);
    if (stored !== undefined) {
      if (!creds.nodeSecret || !sameHash(stored, sha256(creds.nodeSecret))) {
        this.log.warn({ node: id }, 'node registration refused: wrong or missing node secret');
        throw errors.permissionDenied();
      }
      return { joining: false };
    }
    // No secret stored and no join token: tell the node to join (a node the registry lost).
    if (!creds.joinToken) throw errors.nodeRejoinRequired(id);
    if (!(await this.joinTokenValid(creds.joinToken))) {
      this.log.warn({ node: id }, 'node registration refused: no valid join token');
      throw errors.permissionDenied();
    }
    return { joining: true };
  }

  /**
   * Stores the record of a node `admit` accepted. A joining node keeps the secret it presents
   * (agents make their own, like Nomad clients, so a lost answer loses nothing) or gets a new
   * one, returned here. The AdvertiseURL must be an origin.
   */
  async register(
    node: NodeInput,
    ttlMs: number,
    creds: NodeCredentials,
    joining: boolean,
  ): Promise<{ secretId?: string }> {
    const origin = advertiseOrigin(node.AdvertiseURL);
    if (!origin) throw errors.badBodyField('Node.AdvertiseURL', ADVERTISE_RULE);
    let issued: string | undefined;
    if (joining) {
      const own = creds.nodeSecret ?? secret();
      // Two registrations of one new ID racing: only the first stores its secret.
      if (!(await this.registry.claimNodeSecret(node.ID, sha256(own)))) {
        const stored = await this.registry.nodeSecret(node.ID);
        if (stored === undefined || !sameHash(stored, sha256(own))) throw errors.permissionDenied();
      }
      if (!creds.nodeSecret) issued = own;
      this.log.info({ node: node.ID, name: node.Name, ownSecret: !issued }, 'node joined');
    }
    await this.registry.putNode({ ...node, AdvertiseURL: origin }, ttlMs);
    return issued ? { secretId: issued } : {};
  }

  /**
   * Throws unless `presented` is the node's secret: 403 for a wrong or missing one, and
   * `nodeRejoinRequired` when the registry holds no secret for the node at all (it lost its
   * state): the node must register again with its join token.
   */
  async authenticate(id: NodeId, presented: string | undefined): Promise<void> {
    const stored = await this.registry.nodeSecret(id);
    if (stored === undefined) throw errors.nodeRejoinRequired(id);
    if (!presented || !sameHash(stored, sha256(presented))) throw errors.permissionDenied();
  }

  /** False when the registry has no record of the node (it must register again). */
  heartbeat(id: NodeId, ttlMs: number): Promise<boolean> {
    return this.registry.heartbeat(id, ttlMs);
  }

  /**
   * Store the node's allocations. One that another node holds is refused and logged; returns the
   * refused IDs. `complete`: the list is all the node has, so its other records are removed.
   */
  async putAllocs(id: NodeId, manifests: readonly AllocManifest[], complete: boolean): Promise<AllocId[]> {
    const refused: AllocId[] = [];
    for (const m of manifests) {
      if (!(await this.registry.putAlloc({ ...m, NodeID: id }))) {
        const owner = (await this.registry.getAlloc(m.ID))?.NodeID;
        this.log.warn(
          { node: id, alloc: m.ID, owner },
          'allocation claim refused: it belongs to another node',
        );
        refused.push(m.ID);
      }
    }
    if (complete) {
      const keep = new Set<string>(manifests.map((m) => m.ID));
      for (const a of await this.registry.listAllocs({ nodeId: id }))
        if (!keep.has(a.ID)) await this.registry.removeAlloc(a.ID, id);
    }
    return refused;
  }

  /** Removes the allocation only if this node holds it. */
  removeAlloc(id: NodeId, allocId: AllocId): Promise<void> {
    return this.registry.removeAlloc(allocId, id);
  }
}

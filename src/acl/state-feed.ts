import { createHash } from 'node:crypto';
import type { Registry, Revocation } from '../registry/registry';
import type { KeyMaterial } from './keys';

/** The ACL state a gateway hands to agents: everything they need to decide without Redis. */
export interface AclSnapshot {
  Policies: Array<{ Name: string; Rules: string }>;
  /** Revoked token IDs with the time their revocation may be forgotten (0 = never). */
  Revoked: Revocation[];
  /** The ES256 verification key (SPKI PEM); null with an HS256 secret, which never leaves a host. */
  PublicKey: string | null;
}

export interface AclFeedState {
  /** Content hash: the same state gives the same etag at every gateway. */
  etag: string;
  snapshot: AclSnapshot;
}

export interface AclStateFeedOptions {
  registry: Pick<Registry, 'listPolicies' | 'listRevoked' | 'onChange'>;
  keys?: KeyMaterial;
  /** The snapshot is rebuilt at least this often, even without a change message. */
  maxAgeMs: number;
}

/**
 * Gateway side of the agents' ACL watch: one snapshot built from the registry, rebuilt when a
 * policy or revocation changes (pub/sub) and at least every `maxAgeMs`, and a blocking wait that
 * answers as soon as the state differs from what the caller holds.
 */
export class AclStateFeed {
  private cached: { state: AclFeedState; at: number } | undefined;
  private building: Promise<AclFeedState> | undefined;
  private dirty = true;
  private readonly waiters = new Set<() => void>();
  private readonly off: () => void;
  private readonly publicKey: string | null;

  constructor(private readonly o: AclStateFeedOptions) {
    this.publicKey =
      o.keys?.alg === 'ES256' ? o.keys.publicKey.export({ type: 'spki', format: 'pem' }).toString() : null;
    this.off = o.registry.onChange((c) => {
      if (c.kind === 'policy' || c.kind === 'revoked' || c.kind === 'resync') {
        this.dirty = true;
        for (const w of [...this.waiters]) w();
      }
    });
  }

  async current(): Promise<AclFeedState> {
    // A build that started before the latest change may miss it: wait for it, then look again.
    while (this.building) await this.building.catch(() => undefined);
    const fresh = this.cached && !this.dirty && Date.now() - this.cached.at < this.o.maxAgeMs;
    if (fresh) return this.cached!.state;
    this.building = this.build().finally(() => (this.building = undefined));
    return this.building;
  }

  private async build(): Promise<AclFeedState> {
    this.dirty = false;
    const at = Date.now();
    const [policies, revoked] = await Promise.all([
      this.o.registry.listPolicies(),
      this.o.registry.listRevoked(),
    ]);
    const snapshot: AclSnapshot = {
      Policies: policies
        .map((p) => ({ Name: p.Name, Rules: p.Rules }))
        .sort((a, b) => (a.Name < b.Name ? -1 : 1)),
      Revoked: [...revoked].sort((a, b) => (a.jti < b.jti ? -1 : 1)),
      PublicKey: this.publicKey,
    };
    const etag = createHash('sha256').update(JSON.stringify(snapshot)).digest('hex').slice(0, 32);
    this.cached = { state: { etag, snapshot }, at };
    return this.cached.state;
  }

  /** The state once it differs from `etag`, or the current one after `waitMs` (or on abort). */
  async wait(etag: string | undefined, waitMs: number, signal?: AbortSignal): Promise<AclFeedState> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const state = await this.current();
      const left = deadline - Date.now();
      if (state.etag !== etag || left <= 0 || signal?.aborted) return state;
      if (this.dirty) continue; // changed while that snapshot was being built
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          this.waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const t = setTimeout(done, Math.min(left, this.o.maxAgeMs));
        this.waiters.add(done);
        signal?.addEventListener('abort', done);
      });
    }
  }

  close(): void {
    this.off();
    for (const w of [...this.waiters]) w();
  }
}

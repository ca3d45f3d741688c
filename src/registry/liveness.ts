import type { NodeId } from '../wire';
import type { Registry, RegistryChange } from './registry';

export interface NodeLivenessOptions {
  /** TTL assumed for a node until one of its heartbeats tells the real one. */
  defaultTtlMs: number;
  onError?: (err: Error) => void;
}

/**
 * A node's heartbeat lapsing is no write: nothing would bump the modify index or wake the
 * blocking queries that watch node status. Each gateway therefore keeps one timer per node, set
 * from the heartbeats it hears (local receive time + TTL), and when it fires asks the registry
 * to `markDown` the node. The registry checks the heartbeat itself and records each outage once,
 * so every gateway may ask; a node that is alive after all is left alone and its next heartbeat
 * sets the timer again.
 */
export class NodeLiveness {
  private readonly timers = new Map<NodeId, NodeJS.Timeout>();
  private off: (() => void) | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly opts: NodeLivenessOptions,
  ) {}

  /** Follow heartbeats from now on, and catch up on nodes that lapsed while nobody watched. */
  async start(): Promise<void> {
    this.off = this.registry.onChange((c) => this.apply(c));
    await this.reconcile();
  }

  private apply(c: RegistryChange): void {
    if (c.kind === 'heartbeat' || (c.kind === 'node' && c.ttlMs !== undefined))
      this.arm(c.id, c.ttlMs ?? this.opts.defaultTtlMs);
    else if (c.kind === 'resync') void this.reconcile();
  }

  /** The registry expires the heartbeat key `ttlMs` after the write we just heard of. */
  private arm(id: NodeId, ttlMs: number): void {
    clearTimeout(this.timers.get(id));
    const t = setTimeout(() => void this.check(id), Math.max(0, ttlMs) + SLACK_MS);
    t.unref();
    this.timers.set(id, t);
  }

  private async check(id: NodeId): Promise<void> {
    this.timers.delete(id);
    try {
      await this.registry.markDown(id);
    } catch (e) {
      this.opts.onError?.(e as Error);
    }
  }

  private async reconcile(): Promise<void> {
    try {
      const now = Date.now();
      for (const n of await this.registry.listNodes()) {
        if (n.Status === 'down') void this.check(n.ID);
        else this.arm(n.ID, n.LastHeartbeat + this.opts.defaultTtlMs - now);
      }
    } catch (e) {
      this.opts.onError?.(e as Error);
    }
  }

  stop(): void {
    this.off?.();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

/** Fire just after the TTL, so the heartbeat key has surely expired when markDown looks. */
const SLACK_MS = 20;

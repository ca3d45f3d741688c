import type { Registry } from './registry';

export interface NodeLivenessOptions {
  /** How often to sweep for lapsed heartbeats: a lapse is recorded at most this late. */
  sweepMs?: number;
  onError?: (err: Error) => void;
}

/** One sweep a second: a lapse wakes Status watchers within TTL + 1 s. */
const DEFAULT_SWEEP_MS = 1000;

/**
 * A node's heartbeat lapsing is no write: nothing would bump the modify index or wake the
 * blocking queries that watch node status, and a live node's heartbeats are not published (so no
 * gateway can keep a timer per node from them). Each gateway therefore asks the registry
 * periodically to `sweepLapsed`: the registry finds the nodes whose heartbeat expired from its
 * own per-bucket deadlines and records each outage once, so every gateway may ask; the cost per
 * sweep is one small script per bucket, not one per node.
 */
export class NodeLiveness {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly registry: Registry,
    private readonly opts: NodeLivenessOptions = {},
  ) {}

  /** Catch up on nodes that lapsed while nobody watched, then sweep periodically. */
  async start(): Promise<void> {
    await this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.opts.sweepMs ?? DEFAULT_SWEEP_MS);
    this.timer.unref();
  }

  private async sweep(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.registry.sweepLapsed();
    } catch (e) {
      this.opts.onError?.(e as Error);
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

import { ApiError, type FleetgateClient } from '../../api';
import { hasEnded } from '../../wire/types';

/**
 * Tells `-f` when the allocation has ended for good: polls its status through the gateway and
 * resolves `ended` once it is terminal (or collected: gone from the registry). The follower then
 * drains exactly to the log's last byte. A `lost` derived from the node being down is not an end:
 * the agent may come back with the task still writing, so the follower keeps reconnecting.
 */
export class TerminalWatch {
  readonly ended: Promise<void>;
  private resolve!: () => void;
  private readonly timer: NodeJS.Timeout;
  private polling = false;

  constructor(
    private readonly client: FleetgateClient,
    private readonly allocId: string,
    pollMs = 1000,
  ) {
    this.ended = new Promise<void>((r) => (this.resolve = r));
    this.timer = setInterval(() => void this.tick(), pollMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const a = await this.client.allocation(this.allocId);
      if (hasEnded(a)) this.end();
    } catch (err) {
      // Collected allocations are gone from the registry: nothing more will be written.
      if (err instanceof ApiError && err.status === 404) this.end();
    } finally {
      this.polling = false;
    }
  }

  private end(): void {
    this.stop();
    this.resolve();
  }
}

import { ApiError, type FleetgateClient } from '../../api';
import { TERMINAL_STATUSES, type ClientStatus } from '../../wire/types';

/**
 * Ends `-f` once the allocation is terminal and its logs are drained: polls the allocation's
 * ClientStatus, and once it is terminal (or the allocation is gone) waits until no data has
 * arrived for `drainMs` (the agent flushes within 20 ms and heartbeats every second).
 */
export class TerminalWatch {
  private terminalAt: number | undefined;
  private lastData = Date.now();
  private readonly timer: NodeJS.Timeout;
  private polling = false;

  constructor(
    private readonly client: FleetgateClient,
    private readonly allocId: string,
    private readonly onDone: () => void,
    pollMs = 1000,
    private readonly drainMs = 1500,
  ) {
    this.timer = setInterval(() => void this.tick(), pollMs);
  }

  sawData(): void {
    this.lastData = Date.now();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.terminalAt === undefined && !this.polling) {
      this.polling = true;
      try {
        const a = await this.client.allocation(this.allocId);
        if (TERMINAL_STATUSES.includes(a.ClientStatus as ClientStatus)) this.terminalAt = Date.now();
      } catch (err) {
        // Collected allocations are gone from the registry: nothing more will be written.
        if (err instanceof ApiError && err.status === 404) this.terminalAt = Date.now();
      } finally {
        this.polling = false;
      }
    }
    if (
      this.terminalAt !== undefined &&
      Date.now() - Math.max(this.lastData, this.terminalAt) >= this.drainMs
    ) {
      this.stop();
      this.onDone();
    }
  }
}

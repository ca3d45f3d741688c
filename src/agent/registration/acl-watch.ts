import type { Logger } from 'pino';
import type { AclMirror } from '../../acl/mirror';
import type { AclWatchAnswer } from './link';

export interface AclWatchSource {
  watchAcl(etag: string | undefined, waitMs: number, signal?: AbortSignal): Promise<AclWatchAnswer>;
}

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 1000;

/**
 * Follows the gateways' ACL state with a blocking watch: each call returns at once when the
 * state differs from what this agent holds, else after `waitMs` — so a change lands within
 * about one round trip, and every answer (changed or not) proves a gateway was heard.
 */
export class AclWatch {
  private readonly ac = new AbortController();
  private running: Promise<void> | undefined;
  private etag: string | undefined;
  private firstResolve: () => void = () => undefined;
  /** Resolves with the first snapshot (or never, if no gateway ever answers). */
  readonly first = new Promise<void>((r) => (this.firstResolve = r));

  constructor(
    private readonly source: AclWatchSource,
    private readonly mirror: AclMirror,
    private readonly log: Logger,
    private readonly waitMs = 5000,
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  private async loop(): Promise<void> {
    let backoff = 0;
    while (!this.ac.signal.aborted) {
      try {
        const ans = await this.source.watchAcl(this.etag, this.waitMs, this.ac.signal);
        if (ans.etag !== this.etag) this.mirror.apply(ans.snapshot);
        else this.mirror.heard();
        this.etag = ans.etag;
        this.firstResolve();
        if (backoff > 0) this.log.info('ACL watch: a gateway answers again');
        backoff = 0;
      } catch (err) {
        if (this.ac.signal.aborted) return;
        if (backoff === 0)
          this.log.warn({ err: (err as Error).message }, 'ACL watch: no gateway answers; retrying');
        backoff = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, backoff * 2));
        await new Promise((r) => setTimeout(r, backoff).unref());
      }
    }
  }

  async stop(): Promise<void> {
    this.ac.abort();
    await this.running;
  }
}

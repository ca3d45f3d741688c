import type { ServerResponse } from 'node:http';
import type { Identity } from '../acl/types';
import { admitStream, type QuotaObserver } from '../quota/admit';
import { ConcurrencyLimiter } from '../quota/limiter';

export interface StreamLimits {
  /** Concurrent streaming requests of one token accessor (0 = unlimited). */
  readonly perToken: number;
  /** Concurrent streaming requests without a token, shared (0 = unlimited). ACLs off: everyone. */
  readonly anonymous: number;
  /** Concurrent streaming requests through this gateway (0 = unlimited). */
  readonly total: number;
}

const ANONYMOUS = 'anonymous';

/**
 * The gateway's stream quota: each streaming request (fs cat/readat/stream/logs, the job-wide
 * log stream) holds a slot of its caller's token accessor, or of the shared anonymous pool, and
 * of the total, until it closes. With ACLs off every caller is the same nobody, so the anonymous
 * limit applies to all.
 */
export class StreamQuota {
  private readonly limiter: ConcurrencyLimiter;
  private observer: QuotaObserver | undefined;

  constructor(readonly limits: StreamLimits) {
    const perToken = { name: 'max_streams_per_token', max: limits.perToken };
    const anonymous = { name: 'max_streams_anonymous', max: limits.anonymous };
    this.limiter = new ConcurrencyLimiter({ name: 'max_streams_total', max: limits.total }, (key) =>
      key === ANONYMOUS ? anonymous : perToken,
    );
  }

  observe(observer: QuotaObserver & { limit(name: string, max: number): void }): this {
    this.observer = observer;
    observer.limit('max_streams_per_token', this.limits.perToken);
    observer.limit('max_streams_anonymous', this.limits.anonymous);
    observer.limit('max_streams_total', this.limits.total);
    return this;
  }

  /** Takes a slot for this response until it closes, or throws 429 naming the limit. */
  admit(identity: Identity, res: ServerResponse): void {
    const anonymous = identity.type === 'anonymous' || identity.accessorId === 'acl-disabled';
    const key = anonymous ? ANONYMOUS : `token:${identity.accessorId}`;
    admitStream(
      this.limiter,
      key,
      res,
      anonymous ? "the gateway's anonymous" : "the gateway's",
      this.observer,
    );
  }

  get current(): number {
    return this.limiter.current;
  }
}

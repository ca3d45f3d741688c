import type { ServerResponse } from 'node:http';
import { admitStream, type QuotaObserver } from '../../quota/admit';
import { ConcurrencyLimiter } from '../../quota/limiter';

export interface FollowerLimits {
  /** Concurrent followers on this agent (0 = unlimited). */
  readonly total: number;
  /** Concurrent followers of one allocation (0 = unlimited). */
  readonly perAlloc: number;
}

/**
 * The agent's follower quota: every follow stream (`/fs/stream`, `/fs/logs?follow=true`) holds a
 * file descriptor and a watcher until it closes, so their number is bounded in total and per
 * allocation. Over a limit the new stream is refused with 429; open ones are never cut.
 */
export class FollowerQuota {
  private readonly limiter: ConcurrencyLimiter;
  private observer: QuotaObserver | undefined;

  constructor(readonly limits: FollowerLimits) {
    this.limiter = new ConcurrencyLimiter({ name: 'max_followers_total', max: limits.total }, () => ({
      name: 'max_followers_per_alloc',
      max: limits.perAlloc,
    }));
  }

  /** Where current counts and refusals are reported (the agent's /v1/metrics). */
  observe(observer: QuotaObserver & { limit(name: string, max: number): void }): void {
    this.observer = observer;
    observer.limit('max_followers_total', this.limits.total);
    observer.limit('max_followers_per_alloc', this.limits.perAlloc);
  }

  /** Takes a slot for this response until it closes, or throws 429 naming the limit. */
  admit(allocId: string, res: ServerResponse): void {
    admitStream(this.limiter, allocId, res, "this agent's", this.observer);
  }

  get current(): number {
    return this.limiter.current;
  }
}

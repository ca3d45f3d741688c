import type { ServerResponse } from 'node:http';
import { errors } from '../errors';
import type { ConcurrencyLimiter } from './limiter';

/** Seconds a refused client is told to wait: slots free the moment any stream closes. */
export const RETRY_AFTER_S = 1;

export interface QuotaObserver {
  /** Current streams held changed (for a gauge). */
  held(n: number): void;
  /** A stream was refused by the limit named here. */
  rejected(limitName: string): void;
}

/**
 * Takes a slot for one streaming response or refuses it: 429 with `Retry-After` and a message
 * naming the limit (the error is thrown before any byte, so the responder sends it). The slot is
 * released when the response closes, whether it finished or the client went away.
 */
export const admitStream = (
  limiter: ConcurrencyLimiter,
  key: string,
  res: ServerResponse,
  who: string,
  observer?: QuotaObserver,
): void => {
  const r = limiter.tryAcquire(key);
  if (!r.ok) {
    observer?.rejected(r.limit.name);
    res.setHeader('Retry-After', String(RETRY_AFTER_S));
    throw errors.tooManyStreams(who, r.limit.name, r.limit.max);
  }
  observer?.held(limiter.current);
  res.once('close', () => {
    r.release();
    observer?.held(limiter.current);
  });
};

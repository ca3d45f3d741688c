import type { Request, Response } from 'express';
import { parseGoDuration } from '../wire/duration';
import { errors } from '../errors';
import type { IndexWatch } from '../registry/index-watch';
import type { IndexTable } from '../registry/registry';

/** Nomad's bounds for `?wait=`: 5 minutes when absent (or 0), never more than 10. */
export const DEFAULT_WAIT_MS = 5 * 60_000;
export const MAX_WAIT_MS = 10 * 60_000;
/** Nomad adds up to wait/16 at random so that many watchers do not all return at once. */
const JITTER_FRACTION = 16;

export interface BlockingQuery {
  /** Hold the request until the index passes this (Nomad's `?index=`). */
  minIndex: number;
  /** How long at most, jitter included. */
  waitMs: number;
}

const first = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;

/**
 * `?index=N&wait=D` as Nomad reads them: N an unsigned integer, D a Go duration (`300000ms`,
 * `5m`); malformed values are a 400 with Nomad's texts. Undefined when the request is not
 * blocking (no index, or index 0).
 */
export const parseBlocking = (
  query: Record<string, unknown>,
  random = Math.random,
): BlockingQuery | undefined => {
  const rawWait = first(query['wait']);
  let waitMs = DEFAULT_WAIT_MS;
  if (rawWait !== undefined && rawWait !== '') {
    let d: number;
    try {
      d = parseGoDuration(rawWait);
    } catch {
      throw errors.badWait();
    }
    waitMs = d === 0 ? DEFAULT_WAIT_MS : Math.min(Math.max(d, 0), MAX_WAIT_MS);
  }
  const rawIndex = first(query['index']);
  if (rawIndex === undefined || rawIndex === '') return undefined;
  if (!/^\d+$/.test(rawIndex) || !Number.isSafeInteger(Number(rawIndex))) throw errors.badIndex();
  const minIndex = Number(rawIndex);
  if (minIndex === 0) return undefined;
  return { minIndex, waitMs: waitMs + Math.floor(random() * (waitMs / JITTER_FRACTION)) };
};

/** Nomad's query meta headers. The index is never 0: a client would spin on it. */
export const setQueryMeta = (res: Response, index: number): void => {
  res.set('X-Nomad-Index', String(Math.max(index, 1)));
  res.set('X-Nomad-KnownLeader', 'true');
  res.set('X-Nomad-LastContact', '0');
};

/**
 * Answer a registry read with Nomad's blocking-query semantics. When the request names no index,
 * or one the registry already passed, `answer` (authorize and read) runs at once. Otherwise
 * `precheck` runs first, so a refused token or an unknown ID is told at once, and the request is
 * held until a registry change of `tables` passes the index or the wait ends, then answered.
 * Holding costs no registry read. A client that disconnects while held releases its watcher at
 * once; undefined then, as there is nobody left to answer.
 */
export const blockingRead = async <T>(
  req: Request,
  res: Response,
  watch: IndexWatch,
  tables: readonly IndexTable[],
  answer: () => Promise<T>,
  precheck?: () => Promise<unknown>,
): Promise<{ index: number; body: T } | undefined> => {
  const blocking = parseBlocking(req.query as Record<string, unknown>);
  const index = await watch.current(tables);
  if (blocking && index <= blocking.minIndex) {
    await precheck?.();
    const gone = new AbortController();
    const onClose = () => gone.abort();
    res.once('close', onClose);
    try {
      const deadline = Date.now() + blocking.waitMs;
      if ((await watch.waitBeyond(tables, blocking.minIndex, deadline, gone.signal)) === 'aborted')
        return undefined;
    } finally {
      res.off('close', onClose);
    }
    const after = await watch.current(tables);
    return { index: after, body: await answer() };
  }
  return { index, body: await answer() };
};

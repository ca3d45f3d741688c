import type { Logger } from 'pino';

/**
 * A warn callback that logs the first error of an outage at once and then at most once per
 * `everyMs`, with how many it swallowed: a Redis that is down for a minute is a handful of lines,
 * not one per reconnect attempt per connection.
 */
export const throttledWarn = (logger: Logger, msg: string, everyMs = 30000) => {
  let last = 0;
  let suppressed = 0;
  return (err: Error): void => {
    const now = Date.now();
    if (now - last < everyMs) {
      suppressed += 1;
      return;
    }
    logger.warn({ err: err.message, ...(suppressed ? { suppressed } : {}) }, msg);
    last = now;
    suppressed = 0;
  };
};

/**
 * Like throttledWarn, but per kind of failure: each kind's first occurrence is logged at once,
 * then at most once per `everyMs` with how many were swallowed. A client retrying with the wrong
 * CA is one line a minute, and a different mistake still shows up at once.
 */
export const throttledByKind = (logger: Logger, everyMs = 60_000) => {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (kind: string, msg: string, fields: Record<string, unknown> = {}): void => {
    const now = Date.now();
    const seen = last.get(kind);
    if (seen && now - seen.at < everyMs) {
      seen.suppressed += 1;
      return;
    }
    logger.warn({ ...fields, ...(seen?.suppressed ? { suppressed: seen.suppressed } : {}) }, msg);
    last.set(kind, { at: now, suppressed: 0 });
  };
};

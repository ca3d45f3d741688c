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

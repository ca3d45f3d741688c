/** Resolves after `ms` milliseconds. For pacing a writer; never to wait for an outcome (use `eventually`). */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `cond` until it holds; fails with `what` once `deadlineMs` has passed. The deadline is a
 * bound the test asserts (a protocol promise such as "within 1 s") or a generous guard against
 * a hang — never a delay: a fast machine passes as soon as the condition holds. Resolves to the
 * milliseconds it took.
 */
export const eventually = async (
  cond: () => boolean | Promise<boolean>,
  deadlineMs = 5000,
  what = 'condition',
): Promise<number> => {
  const start = Date.now();
  for (;;) {
    if (await cond()) return Date.now() - start;
    if (Date.now() - start > deadlineMs) throw new Error(`${what} not met within ${deadlineMs} ms`);
    await sleep(10);
  }
};

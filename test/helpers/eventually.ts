/**
 * Resolves after `ms` milliseconds. For pacing a writer or letting a time-based policy elapse;
 * never to wait for an outcome (use `eventually`).
 */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How often `eventually` asks again. */
const STEP_MS = 10;

/**
 * Polls `cond` until it holds; fails with `what` once `deadlineMs` has passed. The deadline is a
 * bound the test asserts (a protocol promise such as "within 1 s", measured from the call, so
 * call it right after the change) or a generous guard against a hang — never a delay: a fast
 * machine passes as soon as the condition holds. A `cond` that throws (a process not listening
 * yet, a file not written yet, a failed `expect`) counts as not holding; the last error is in the
 * timeout's message. Resolves to the milliseconds it took.
 */
export const eventually = async (
  cond: () => boolean | Promise<boolean>,
  deadlineMs = 5000,
  what = 'condition',
): Promise<number> => {
  const start = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      if (await cond()) return Date.now() - start;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() - start > deadlineMs) {
      const why =
        lastError === undefined ? '' : ` (last error: ${(lastError as Error)?.message ?? lastError})`;
      throw new Error(`${what} not met within ${deadlineMs} ms${why}`);
    }
    await sleep(STEP_MS);
  }
};

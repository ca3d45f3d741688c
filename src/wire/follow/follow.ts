import { LOG_START_HEADER, LOGS_DIR, parseLogStart } from '../log-files';
import { ApiError, GiveUpError, NetworkError, NodeDownError, StreamError } from './errors';
import type { LogsPort, LogType, Opened, Origin, StreamPort } from './port';
import { readFrames, type StreamItem } from './read-frames';
import {
  listLogFiles,
  logResumePoint,
  reachedEnd,
  streamCheck,
  tailPosition,
  type Check,
  type Position,
} from './resume';

export interface RetryPolicy {
  /** Stop reconnecting when the stream has been down this long. */
  giveUpMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /**
   * A 4xx while reconnecting is retried this long: a restarting agent may listen before it has
   * re-adopted its allocations. Past it, the 4xx is final (the allocation is really gone).
   */
  notFoundGraceMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  giveUpMs: 60_000,
  initialBackoffMs: 200,
  maxBackoffMs: 2_000,
  notFoundGraceMs: 5_000,
};

export interface FollowHooks {
  signal?: AbortSignal;
  /** Yield heartbeats too (they are always used internally to reset the downtime clock). */
  heartbeats?: boolean;
  /** Each failed attempt, before waiting `delayMs`: how long the stream has been down, which attempt. */
  onReconnecting?: (err: unknown, delayMs: number, state: DownState) => void;
  onResumed?: (opened: Opened, pos: Position | undefined) => void;
  /** Bytes could not be recovered (the file was rotated away and purged while disconnected). */
  onLoss?: (message: string) => void;
  /**
   * Resolves once the allocation is terminal: its tasks have exited and every byte they wrote is
   * in log files that never change again. `followLogs` then asks the node where the log ends and
   * finishes as soon as it has delivered that byte: exact, however late or slow the stream is,
   * and never while the stream is down (an unreachable node cannot say where its log ends).
   */
  final?: Promise<void>;
}

export interface DownState {
  /** Since the first failure of this outage. */
  readonly downForMs: number;
  /** 1 for the first failed attempt of this outage. */
  readonly attempt: number;
}

/** Where a final log ends: the file and offset of its last byte, or `empty` when it holds none. */
type LogEnd = Position | 'empty';

/** How `resumable` finds out where a final log ends and whether it has got there. */
interface Drain {
  readonly final: Promise<void>;
  probe(): Promise<LogEnd>;
  reached(pos: Position | undefined, end: LogEnd): boolean;
}

interface Attempt {
  opened: Opened;
  check?: Check;
}

/**
 * `alloc logs -f` and each source of the gateway's job-wide stream: follows a task's log,
 * resuming after drops without losing or repeating a byte. `from` starts at a position an
 * earlier stream reached (a client resuming a job stream), as if that stream had just dropped.
 */
export const followLogs = (
  client: LogsPort,
  q: { allocId: string; task: string; type: LogType; origin: Origin; offset: number; from?: Position },
  hooks: FollowHooks = {},
  retry: RetryPolicy = DEFAULT_RETRY,
): AsyncGenerator<StreamItem> => {
  const base = `${q.task}.${q.type}.`;
  // Where the stream starts, as an exact File+Offset, once known: a drop before the first byte
  // resumes there, and the end check compares against it while nothing has been delivered.
  let start: Position | undefined = q.from;
  let tailDone = q.from !== undefined;
  const listOrDenied = () =>
    listLogFiles(client, q.allocId, base, hooks.signal).catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 403) return undefined;
      throw err;
    });
  return resumable(
    async (pos) => {
      // A tail start is turned into an exact File+Offset first, so a drop before the first byte
      // resumes there instead of re-sending (or skipping) whatever the tail window covers then.
      if (q.origin === 'end' && !tailDone) {
        const files = await listOrDenied();
        start = files && tailPosition(files, base, q.offset);
        tailDone = true;
      }
      pos ??= start;
      if (!pos) {
        const opened = await client.logs(
          q.allocId,
          { task: q.task, type: q.type, follow: true, origin: q.origin, offset: q.offset },
          hooks.signal,
        );
        // The agent names where it started. A request past the end starts wherever the log ended
        // just then, which the request's own offset cannot tell (an older agent does not say).
        const announced = parseLogStart(opened.res.headers[LOG_START_HEADER]);
        if (announced) start = { file: `${LOGS_DIR}/${base}${announced.index}`, offset: announced.offset };
        return { opened };
      }
      const from = pos;
      const files = await listOrDenied();
      if (!files) {
        // Listing needs read-fs; a read-logs-only token can still follow, from the current end.
        hooks.onLoss?.(
          'the token cannot list alloc/logs (read-fs), so the stream resumed at the current end; output written while disconnected is missing',
        );
        const opened = await client.logs(
          q.allocId,
          { task: q.task, type: q.type, follow: true, origin: 'end', offset: 0 },
          hooks.signal,
        );
        return { opened };
      }
      const point = logResumePoint(files, base, from);
      if (point.lost)
        hooks.onLoss?.(`${from.file} was rotated away while disconnected; some output is missing`);
      const opened = await client.logs(
        q.allocId,
        { task: q.task, type: q.type, follow: true, origin: 'start', offset: point.offset },
        hooks.signal,
      );
      return { opened, check: point.check };
    },
    hooks,
    retry,
    hooks.final && {
      final: hooks.final,
      probe: () => logEnd(client, q, hooks.signal),
      reached: (pos, end) => {
        if (end === 'empty') return true;
        const at = pos ?? start;
        if (at) return reachedEnd(at, end, base);
        // Nothing delivered and the start unknown (an older agent): only a follow that started at
        // the very end has nothing to come.
        return q.origin === 'end' && q.offset === 0;
      },
    },
  );
};

/**
 * The position of the last byte of a task's log: one byte read from the end, whose frame says
 * which file and offset it is (needs only what following needs, read-logs). No log file at all
 * (404) means there is nothing to deliver.
 */
const logEnd = async (
  client: LogsPort,
  q: { allocId: string; task: string; type: LogType },
  signal: AbortSignal | undefined,
): Promise<LogEnd> => {
  let opened: Opened;
  try {
    opened = await client.logs(
      q.allocId,
      { task: q.task, type: q.type, follow: false, origin: 'end', offset: 1 },
      signal,
    );
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return 'empty';
    throw err;
  }
  let end: LogEnd = 'empty';
  try {
    for await (const item of readFrames(opened.res, { base: opened.base, via: opened.via }))
      if (item.kind === 'data') end = { file: item.file, offset: item.offset };
  } finally {
    opened.res.destroy();
  }
  return end;
};

/** `alloc fs -f`: follows one file, resuming at the last offset received. */
export const followFile = (
  client: StreamPort,
  q: { allocId: string; path: string; origin: Origin; offset: number },
  hooks: FollowHooks = {},
  retry: RetryPolicy = DEFAULT_RETRY,
): AsyncGenerator<StreamItem> =>
  resumable(
    async (pos) => {
      const at = pos
        ? { origin: 'start' as const, offset: pos.offset }
        : { origin: q.origin, offset: q.offset };
      const opened = await client.stream(q.allocId, { path: q.path, follow: true, ...at }, hooks.signal);
      return pos ? { opened, check: streamCheck(pos) } : { opened };
    },
    hooks,
    retry,
  );

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/** Errors worth another attempt once a stream has been established. */
const retryable = (err: unknown, downMs: number, retry: RetryPolicy): boolean => {
  if (err instanceof NetworkError || err instanceof StreamError || err instanceof NodeDownError) return true;
  if (err instanceof ResumeMismatch) return true;
  if (err instanceof ApiError) return err.status >= 500 || downMs < retry.notFoundGraceMs;
  return false;
};

class ResumeMismatch extends Error {}

/**
 * The reconnect loop shared by both followers. The first connection's errors are final (the
 * user asked for something that does not work); after that, drops are retried with back-off
 * until the stream has been down for `giveUpMs`. Position = File + Offset of the last data frame.
 * With a `drain`, the loop ends once the allocation is final and its last byte was delivered.
 */
async function* resumable(
  open: (pos: Position | undefined) => Promise<Attempt>,
  hooks: FollowHooks,
  retry: RetryPolicy,
  drain?: Drain,
): AsyncGenerator<StreamItem> {
  let pos: Position | undefined;
  let everConnected = false;
  let downSince: number | undefined;
  let attempt = 0;
  let backoff = retry.initialBackoffMs;
  let current: Opened | undefined;
  // Draining: `end` is known once the node said where the final log ends; `done` once delivered.
  let isFinal = false;
  let end: LogEnd | undefined;
  let probing = false;
  let done = false;
  const atEnd = (): boolean => end !== undefined && drain !== undefined && drain.reached(pos, end);
  /** Asks where the final log ends; a node that cannot answer now is asked again on the next frame. */
  const probeEnd = (): void => {
    if (!drain || !isFinal || end !== undefined || probing || done) return;
    probing = true;
    drain
      .probe()
      .then(
        (e) => {
          end = e;
          if (atEnd()) {
            done = true;
            current?.res.destroy();
          }
        },
        () => undefined,
      )
      .finally(() => (probing = false));
  };
  void drain?.final.then(() => {
    isFinal = true;
    probeEnd();
  });
  for (;;) {
    try {
      const { opened, check } = await open(pos);
      if (done || atEnd()) {
        // The end was learnt while reconnecting and everything up to it was already delivered.
        opened.res.destroy();
        return;
      }
      current = opened;
      if (everConnected) hooks.onResumed?.(opened, pos);
      everConnected = true;
      probeEnd();
      let pending = check;
      try {
        for await (const item of readFrames(opened.res, {
          heartbeats: true,
          base: opened.base,
          via: opened.via,
        })) {
          downSince = undefined;
          attempt = 0;
          backoff = retry.initialBackoffMs;
          if (item.kind === 'heartbeat') {
            probeEnd();
            if (hooks.heartbeats) yield item;
            continue;
          }
          if (item.kind === 'event') {
            yield item;
            continue;
          }
          let data = item.data;
          if (pending) {
            const verdict = pending(item.file, item.offset - data.length);
            if (!verdict.ok) throw new ResumeMismatch(verdict.why);
            data = data.subarray(verdict.skip);
            pending = undefined;
          }
          pos = { file: item.file, offset: item.offset };
          if (data.length > 0) yield { kind: 'data', data, file: item.file, offset: item.offset };
          if (atEnd()) return;
        }
      } finally {
        opened.res.destroy();
        current = undefined;
      }
      if (hooks.signal?.aborted || done) return;
      throw new NetworkError(opened.base, 'EOF', 'stream closed by the server', opened.via);
    } catch (err) {
      if (hooks.signal?.aborted || done) return;
      if (!everConnected) throw err;
      const now = Date.now();
      downSince ??= now;
      attempt++;
      if (!retryable(err, now - downSince, retry)) throw err;
      if (now - downSince >= retry.giveUpMs) throw new GiveUpError(now - downSince, err);
      hooks.onReconnecting?.(err, backoff, { downForMs: now - downSince, attempt });
      await sleep(backoff, hooks.signal);
      if (hooks.signal?.aborted || done) return;
      backoff = Math.min(backoff * 2, retry.maxBackoffMs);
    }
  }
}

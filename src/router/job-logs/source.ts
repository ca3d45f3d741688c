import {
  ApiError,
  followLogs,
  NetworkError,
  NodeDownError,
  readFrames,
  type Position,
  type RetryPolicy,
} from '../../wire/follow';
import type { AgentLogsPort } from './agent-port';
import type { SourceWriter } from './output';
import type { JobLogsParams } from './params';

export interface SourceOptions {
  readonly allocId: string;
  readonly task: string;
  readonly params: JobLogsParams;
  readonly port: AgentLogsPort;
  readonly writer: SourceWriter;
  /** Where an earlier stream got to (a client resuming); follow mode only. */
  readonly from?: Position;
  readonly retry: RetryPolicy;
}

const reason = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Failures that mean "the node cannot be reached now" rather than "this request is wrong". */
const isDown = (err: unknown): boolean =>
  err instanceof NetworkError ||
  err instanceof NodeDownError ||
  (err instanceof ApiError && (err.status >= 500 || err.status === 429));

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * One task of one allocation inside a job-wide stream. Following, it reads through the shared
 * resumable follower (the one `alloc logs -f` uses), so a dropped node resumes at the last
 * offset it delivered, across rotations, without repeating a byte. Its troubles are reported
 * in-band and never stop the other sources. Its part ends when the allocation is terminal and
 * its log was delivered to the last byte the agent reports (the follower's exact drain), when
 * the allocation is gone, or when the whole stream closes.
 */
export class Source {
  private readonly ac = new AbortController();
  private terminal = false;
  private markFinal!: () => void;
  /** Resolves when the allocation is terminal: the follower then drains to the log's end. */
  private readonly final = new Promise<void>((r) => (this.markFinal = r));
  private connected = false;
  /** Position of the last data delivered: a restart of the follower continues from here. */
  private pos: Position | undefined;
  readonly done: Promise<void>;

  constructor(private readonly o: SourceOptions) {
    this.pos = o.from;
    this.done = this.run().finally(() => {
      o.writer.finish();
      o.writer.event('source ended');
    });
  }

  /** The allocation reached a terminal status: end once what it wrote has been delivered. */
  markTerminal(): void {
    this.terminal = true;
    this.markFinal();
  }

  /** The allocation is gone (collected) or the stream is closing: stop now. */
  stop(): void {
    this.ac.abort();
  }

  private async run(): Promise<void> {
    if (!this.o.params.follow) return this.readOnce();
    let reported = '';
    let reportedDown = false;
    let backoff = this.o.retry.initialBackoffMs;
    const signal = this.ac.signal;
    while (!signal.aborted) {
      try {
        await this.followOnce(() => {
          if (reportedDown) this.o.writer.event('source resumed');
          reported = '';
          reportedDown = false;
          backoff = this.o.retry.initialBackoffMs;
        });
        return;
      } catch (err) {
        if (signal.aborted) return;
        this.connected = false;
        const msg = reason(err);
        if (err instanceof ApiError && err.status === 403) {
          this.o.writer.event('source error', msg);
          return;
        }
        // A terminal allocation whose logs cannot be read any more has nothing left to wait for.
        if (this.terminal && !isDown(err)) {
          this.o.writer.event('source error', msg);
          return;
        }
        // 404 before the first byte: the task has not written its first log file yet.
        const quiet = err instanceof ApiError && err.status === 404 && this.pos === undefined;
        if (!quiet && msg !== reported) {
          this.o.writer.event(isDown(err) ? 'source down' : 'source error', msg);
          reportedDown ||= isDown(err);
        }
        reported = msg;
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, this.o.retry.maxBackoffMs);
      }
    }
  }

  /** One run of the shared follower; throws what it cannot recover from itself. */
  private async followOnce(onConnected: () => void): Promise<void> {
    const { params, writer } = this.o;
    let down = false;
    const stream = followLogs(
      this.o.port,
      {
        allocId: this.o.allocId,
        task: this.o.task,
        type: params.type,
        origin: params.origin,
        offset: params.offset,
        ...(this.pos ? { from: this.pos } : {}),
      },
      {
        signal: this.ac.signal,
        heartbeats: true,
        final: this.final,
        onReconnecting: (err) => {
          this.connected = false;
          if (!down) writer.event('source down', reason(err));
          down = true;
        },
        onResumed: () => {
          if (down) writer.event('source resumed');
          down = false;
        },
        onLoss: (m) => writer.event('output lost', m),
      },
      this.o.retry,
    );
    for await (const item of stream) {
      if (!this.connected) {
        this.connected = true;
        onConnected();
      }
      if (item.kind === 'data') {
        this.pos = { file: item.file, offset: item.offset };
        await writer.data(item.file, item.data, item.offset);
      } else if (item.kind === 'event') writer.fileEvent(item.file, item.event, 0);
    }
  }

  /** follow=false: what the log holds now, once. */
  private async readOnce(): Promise<void> {
    const { params, writer } = this.o;
    try {
      const { res, base, via } = await this.o.port.logs(
        this.o.allocId,
        { task: this.o.task, type: params.type, follow: false, origin: params.origin, offset: params.offset },
        this.ac.signal,
      );
      try {
        for await (const item of readFrames(res, { base, via })) {
          if (item.kind === 'data') await writer.data(item.file, item.data, item.offset);
          else if (item.kind === 'event') writer.fileEvent(item.file, item.event, 0);
        }
      } finally {
        res.destroy();
      }
    } catch (err) {
      if (!this.ac.signal.aborted) writer.event(isDown(err) ? 'source down' : 'source error', reason(err));
    }
  }
}

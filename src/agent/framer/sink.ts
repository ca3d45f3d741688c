import type { ServerResponse as Response } from 'node:http';

/**
 * The response as a byte sink with backpressure: writers call `write` and then await
 * `drained()`, which resolves once the socket buffer has room again, or at once when the client
 * went away (so no reader ever waits on a dead connection).
 */
export class ResponseSink {
  constructor(
    private readonly res: Response,
    private readonly signal: AbortSignal,
  ) {}

  get closed(): boolean {
    return this.signal.aborted || this.res.destroyed || this.res.writableEnded;
  }

  /**
   * True when the chunk was written; false when the sink is closed (the chunk is dropped).
   * The chunk goes to the socket now: node:http corks a chunked response and uncorks on the
   * next tick, which comes only after the writer's whole microtask chain; a follower would then
   * start its post-read stat checks (waking thread-pool threads that compete for the CPU) before
   * the data leaves. Uncorking here makes "append → bytes on the wire" one step.
   */
  write(chunk: string | Buffer): boolean {
    if (this.closed) return false;
    this.res.write(chunk);
    const socket = this.res.socket;
    if (socket && socket.writableCorked > 0) socket.uncork();
    return true;
  }

  /**
   * Write a chunk whose memory the caller will reuse: resolves once the socket has taken all of
   * it (the write's callback), or at once if the sink is or becomes closed.
   */
  writeFlushed(chunk: Buffer): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.res.off('close', done);
        this.signal.removeEventListener('abort', done);
        resolve();
      };
      this.res.on('close', done);
      this.signal.addEventListener('abort', done);
      this.res.write(chunk, done);
      const socket = this.res.socket;
      if (socket && socket.writableCorked > 0) socket.uncork();
    });
  }

  get needsDrain(): boolean {
    return this.res.writableNeedDrain;
  }

  drained(): Promise<void> {
    if (this.closed || !this.res.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.res.off('drain', done);
        this.res.off('close', done);
        this.signal.removeEventListener('abort', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
      this.signal.addEventListener('abort', done);
    });
  }
}

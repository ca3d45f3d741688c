import type { Response } from 'express';

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

  /** True when the chunk was written; false when the sink is closed (the chunk is dropped). */
  write(chunk: string | Buffer): boolean {
    if (this.closed) return false;
    this.res.write(chunk);
    return true;
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

import type { Writable } from 'node:stream';

/**
 * Gathers the pieces written to `dst` in one turn of the event loop and hands them over as one
 * corked write once the turn's I/O callbacks have run (`setImmediate`: no delay is added).
 *
 * Why: bytes that arrive as many small pieces in one turn — 16 KiB TLS records of one network
 * read, or frames from the many sources of a job-wide stream — each became their own write, and
 * with it their own HTTP chunk, encryption call and system call, which was most of what relaying
 * them cost. The corked pieces are not copied into one buffer: fresh large buffers cost more in
 * page faults than the chunk headers this keeps.
 */
export class TurnWriter {
  private batch: Buffer[] = [];
  private bytes = 0;
  private pending: NodeJS.Immediate | undefined;

  constructor(
    private readonly dst: Writable,
    private readonly opts: {
      /** Queued bytes beyond this go out at once: one busy turn cannot pile up without bound. */
      maxBytes?: number;
      /** Called after a scheduled write that left `dst` over its high-water mark. */
      onFull?: () => void;
    } = {},
  ) {}

  private get closed(): boolean {
    return this.dst.writableEnded || this.dst.destroyed;
  }

  push(piece: Buffer): void {
    this.batch.push(piece);
    this.bytes += piece.length;
    if (this.bytes >= (this.opts.maxBytes ?? Infinity)) this.flush();
    else
      this.pending ??= setImmediate(() => {
        this.pending = undefined;
        this.flush();
        if (this.dst.writableNeedDrain && !this.closed) this.opts.onFull?.();
      });
  }

  /** Writes what is queued now. */
  flush(): void {
    const parts = this.take();
    if (parts.length === 0 || this.closed) return;
    this.dst.cork();
    for (const p of parts) this.dst.write(p);
    this.dst.uncork();
  }

  /** Writes what is queued together with the end of `dst`. */
  end(): void {
    const parts = this.take();
    if (this.closed) return;
    const last = parts.pop();
    this.dst.cork();
    for (const p of parts) this.dst.write(p);
    this.dst.end(last);
  }

  private take(): Buffer[] {
    if (this.pending) clearImmediate(this.pending);
    this.pending = undefined;
    const parts = this.batch;
    this.batch = [];
    this.bytes = 0;
    return parts;
  }
}

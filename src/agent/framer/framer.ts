import {
  encodeDataFrames,
  encodeFrame,
  HEARTBEAT,
  HEARTBEAT_MS,
  MAX_FRAME_DATA,
  type FileEvent,
} from '../../wire';

/** Where frames go: the response, with backpressure (see ResponseSink). */
export interface FrameSink {
  readonly closed: boolean;
  readonly needsDrain: boolean;
  write(chunk: string | Buffer): boolean;
  drained(): Promise<void>;
}

export interface FramerOptions {
  /** `json`: Nomad frames + heartbeats; `plain`: only the raw data bytes (logs `plain=true`). */
  readonly mode: 'json' | 'plain';
  readonly heartbeatMs?: number;
  /** Coalescing window: small reads within it share a frame. Well under the 20 ms latency goal. */
  readonly coalesceMs?: number;
}

/**
 * Batches file bytes into Nomad stream frames (docs/wire.md, "Stream frames"): Offset is the file offset
 * at the end of the frame's data, at most MAX_FRAME_DATA bytes per frame, events are sent once
 * as their own frames, and no data-less frame is sent except heartbeats (`{}`) and events.
 * Readers call `flush()` when they reach EOF, so following adds no batching delay; the
 * coalescing timer only bounds latency while a reader is still busy.
 */
export class Framer {
  private file = '';
  private chunks: Buffer[] = [];
  private pendingLen = 0;
  /** File offset of the first pending byte. */
  private startOffset = 0;
  private coalesceTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly opts: FramerOptions,
  ) {}

  /** Starts the heartbeat (JSON mode): `{}` every second keeps idle connections provably alive. */
  start(): void {
    if (this.opts.mode !== 'json' || this.heartbeatTimer) return;
    this.heartbeatTimer = setInterval(() => {
      // A busy connection needs no keep-alive, and queueing more onto it would defeat backpressure.
      if (!this.sink.needsDrain) this.sink.write(HEARTBEAT);
    }, this.opts.heartbeatMs ?? HEARTBEAT_MS);
  }

  /**
   * Queue bytes read from `file`; `endOffset` is the file offset just after them. `flushNow`
   * (the reader hit EOF) sends everything pending at once. Resolves when the sink has room.
   */
  async data(file: string, data: Buffer, endOffset: number, flushNow = false): Promise<void> {
    if (this.stopped || data.length === 0) return;
    if (this.pendingLen > 0 && file !== this.file) this.flush();
    if (this.pendingLen === 0) {
      this.file = file;
      this.startOffset = endOffset - data.length;
    }
    this.chunks.push(data);
    this.pendingLen += data.length;
    // Every whole frame goes out now, all in one write (a 512 KiB bulk read = 8 frames, one chunk).
    if (flushNow) this.flush();
    else if (this.pendingLen >= MAX_FRAME_DATA)
      this.emit(
        this.opts.mode === 'json' ? this.pendingLen - (this.pendingLen % MAX_FRAME_DATA) : this.pendingLen,
      );
    if (this.pendingLen > 0 && !this.coalesceTimer) {
      this.coalesceTimer = setTimeout(() => {
        this.coalesceTimer = undefined;
        this.flush();
      }, this.opts.coalesceMs ?? 5);
    }
    await this.sink.drained();
  }

  /** A file event, sent once, after any pending data of the previous file position. */
  event(file: string, fileEvent: FileEvent, offset: number): void {
    if (this.stopped) return;
    this.flush();
    if (this.opts.mode === 'json') this.sink.write(encodeFrame({ file, fileEvent, offset }));
  }

  /** Emit everything pending now. */
  flush(): void {
    if (this.coalesceTimer) {
      clearTimeout(this.coalesceTimer);
      this.coalesceTimer = undefined;
    }
    if (this.pendingLen > 0) this.emit(this.pendingLen);
  }

  /** Flush and stop all timers; later calls are ignored. */
  close(): void {
    if (this.stopped) return;
    this.flush();
    this.stopped = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /** Write the next `n` pending bytes: as consecutive ≤ 64 KiB frames (json) or raw (plain), one sink write. */
  private emit(n: number): void {
    const data = this.take(n);
    if (this.opts.mode === 'json') this.sink.write(encodeDataFrames(this.file, data, this.startOffset));
    else this.sink.write(data);
    this.startOffset += data.length;
  }

  /** The next `n` pending bytes as one Buffer; a view (no copy) when they lie in one chunk. */
  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.pendingLen -= n;
      return first.length === n ? first : first.subarray(0, n);
    }
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const c = this.chunks[0]!;
      if (c.length <= need) {
        parts.push(c);
        this.chunks.shift();
        need -= c.length;
      } else {
        parts.push(c.subarray(0, need));
        this.chunks[0] = c.subarray(need);
        need = 0;
      }
    }
    this.pendingLen -= n;
    return Buffer.concat(parts, n);
  }
}

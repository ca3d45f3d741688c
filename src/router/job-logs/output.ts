import type { ServerResponse } from 'node:http';
import { TurnWriter } from '../../forward/turn-writer';
import { encodeJobDataFrame, encodeJobFrame, HEARTBEAT, HEARTBEAT_MS, type SourceEvent } from '../../wire';

/** Who a piece of output came from. */
export interface SourceInfo {
  readonly allocId: string;
  readonly nodeId: string;
  readonly task: string;
  /** Rendered line prefix; empty for none. */
  readonly prefix: string;
  /** Framed mode: carry `prefix` in every frame (the client asked for it explicitly). */
  readonly framedPrefix: boolean;
}

/**
 * A line longer than this without a newline is cut and sent as a line of its own: the
 * alternative, holding it until its end, would let one source grow the gateway without bound.
 */
export const MAX_LINE = 256 * 1024;
/** A turn's writes beyond this go out at once, so one busy turn cannot pile up without bound. */
const BATCH_MAX = 1024 * 1024;
const NL = 0x0a;
const NEWLINE = Buffer.from('\n');

/**
 * The one response of a job-wide stream, written by many sources. Every write is whole: a frame
 * in framed mode, whole lines in plain mode (each source keeps its unfinished line until its
 * newline arrives), so two sources never share a line. Writers await `room()`, which is the
 * response's backpressure shared by all sources: a slow client slows every source's reads.
 */
export class JobStreamOutput {
  private heartbeat: NodeJS.Timeout | undefined;
  private lastWrite = 0;
  private drain: Promise<void> | undefined;
  /** Sources arrive on separate sockets: their writes of one turn leave as one socket write. */
  private readonly out: TurnWriter;

  constructor(
    private readonly res: ServerResponse,
    readonly mode: 'json' | 'plain',
  ) {
    this.out = new TurnWriter(res, { maxBytes: BATCH_MAX });
  }

  start(): void {
    this.res.statusCode = 200;
    this.res.setHeader(
      'Content-Type',
      this.mode === 'plain' ? 'text/plain; charset=utf-8' : 'application/json',
    );
    this.res.flushHeaders();
    if (this.mode === 'json') {
      this.heartbeat = setInterval(() => {
        if (Date.now() - this.lastWrite >= HEARTBEAT_MS && !this.res.writableNeedDrain) this.write(HEARTBEAT);
      }, HEARTBEAT_MS);
    }
  }

  /** A writer for one source (one task of one allocation). */
  source(info: SourceInfo, opts: { skipPartialFirstLine?: boolean } = {}): SourceWriter {
    return new SourceWriter(this, info, opts.skipPartialFirstLine ?? false);
  }

  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  /** Queues a whole frame or whole lines (sent with the rest of this turn's writes). */
  write(chunk: string | Buffer): void {
    if (this.closed) return;
    this.lastWrite = Date.now();
    this.out.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }

  /** Resolves when the client has taken what was written (or has gone). */
  room(): Promise<void> {
    if (!this.res.writableNeedDrain || this.closed) return Promise.resolve();
    this.drain ??= new Promise<void>((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        this.drain = undefined;
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
    return this.drain;
  }

  end(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.out.end();
  }
}

export class SourceWriter {
  private partial: Buffer[] = [];
  private partialLen = 0;
  private readonly prefix: Buffer;

  constructor(
    private readonly out: JobStreamOutput,
    readonly info: SourceInfo,
    /** Tail mode: the first bytes start mid-line; drop them up to the first newline. */
    private skipping: boolean,
  ) {
    this.prefix = Buffer.from(info.prefix);
  }

  async data(file: string, data: Buffer, endOffset: number): Promise<void> {
    if (this.out.mode === 'json') {
      this.out.write(encodeJobDataFrame({ ...this.ids(), data, file, offset: endOffset }));
    } else {
      const text = this.lines(data);
      if (text) this.out.write(text);
    }
    await this.out.room();
  }

  /** A file event passed through (framed only: plain output has no place for it). */
  fileEvent(file: string, event: string, offset: number): void {
    if (this.out.mode !== 'json') return;
    this.out.write(encodeJobFrame({ ...this.ids(), file, fileEvent: event, offset }));
  }

  /** An event about the source itself, in-band: a frame, or a line of its own in plain mode. */
  event(event: SourceEvent, message?: string): void {
    if (this.out.mode === 'json') {
      this.out.write(encodeJobFrame({ ...this.ids(), fileEvent: event, ...(message ? { message } : {}) }));
      return;
    }
    this.out.write(`${this.info.prefix}==> ${event}${message ? `: ${message}` : ''}\n`);
  }

  private ids() {
    const { allocId, nodeId, task, prefix, framedPrefix } = this.info;
    return { allocId, nodeId, task, ...(framedPrefix && prefix ? { prefix } : {}) };
  }

  /** The source is over: an unfinished last line goes out with a newline. */
  finish(): void {
    if (this.partialLen > 0) this.out.write(Buffer.concat([this.prefix, ...this.partial, NEWLINE]));
    this.partial = [];
    this.partialLen = 0;
  }

  /**
   * Complete lines of `data` (with whatever was pending), each prefixed, in one Buffer; the rest
   * is kept. Lines are copied straight into an output sized up front: a slice object and a
   * concat part per line cost more than the copying itself.
   */
  private lines(data: Buffer): Buffer | undefined {
    let start = 0;
    if (this.skipping) {
      const nl = data.indexOf(NL);
      if (nl < 0) return undefined;
      this.skipping = false;
      start = nl + 1;
    }
    const last = data.lastIndexOf(NL);
    if (last < start) return this.keep(data.subarray(start));
    const prefix = this.prefix;
    let lines = 0;
    for (let nl = data.indexOf(NL, start); nl >= 0 && nl <= last; nl = data.indexOf(NL, nl + 1)) lines++;
    const out = Buffer.allocUnsafe(this.partialLen + (last + 1 - start) + lines * prefix.length);
    // `set` for the short prefix: Buffer#copy's per-call overhead exceeds the copy itself.
    out.set(prefix, 0);
    let p = prefix.length;
    for (const part of this.partial) p += part.copy(out, p);
    this.partial = [];
    this.partialLen = 0;
    for (let nl = data.indexOf(NL, start); ; nl = data.indexOf(NL, start)) {
      p += data.copy(out, p, start, nl + 1);
      start = nl + 1;
      if (nl === last) break;
      out.set(prefix, p);
      p += prefix.length;
    }
    const cut = this.keep(data.subarray(start));
    return cut ? Buffer.concat([out, cut]) : out;
  }

  /** Holds an unfinished line; returns it whole (prefixed, newline added) once it reaches MAX_LINE. */
  private keep(rest: Buffer): Buffer | undefined {
    if (rest.length === 0) return undefined;
    this.partial.push(rest);
    this.partialLen += rest.length;
    if (this.partialLen < MAX_LINE) return undefined;
    const line = Buffer.concat([this.prefix, ...this.partial, NEWLINE]);
    this.partial = [];
    this.partialLen = 0;
    return line;
  }
}

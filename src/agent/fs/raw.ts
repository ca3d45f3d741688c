import type { ServerResponse as Response } from 'node:http';
import { errors } from '../../errors';
import { displayRel, openInAlloc } from '../allocdir';
import { ResponseSink } from '../framer';
import type { LocalAlloc } from '../types';
import { EMPTY_CONTENT_TYPE, setUntrustedHeaders } from './untrusted';

/**
 * The largest read of a bulk transfer. Measured on loopback with curl as the reader
 * (bench/agent.bench.ts), 4 MiB reads cost the agent about half the CPU per GiB of 1 MiB reads:
 * a quarter of the loop turns, thread-pool trips and socket writes.
 */
export const RAW_CHUNK_MAX = 4 * 1024 * 1024;
/** A read past the size the file had when opened (it grew): a modest guess, not the maximum. */
const GROWTH_CHUNK = 64 * 1024;

export interface RawRead {
  readonly path: string;
  readonly offset: number;
  /** <= 0: no limit (readat's "to the end"). */
  readonly limit: number;
}

/**
 * How much the next read asks for: what is left of the file as it was when opened, plus one byte
 * so that a read coming back short proves the end (a small file is one read, not two), capped
 * by the limit and RAW_CHUNK_MAX.
 */
export const nextReadSize = (size: number, pos: number, remaining: number): number => {
  const left = size - pos;
  const want = left >= 0 ? left + 1 : GROWTH_CHUNK;
  return Math.max(0, Math.min(want, RAW_CHUNK_MAX, remaining));
};

/**
 * Two read buffers used in turn: one is being sent while the next read fills the other, and a
 * buffer is refilled only once the socket has taken all of what it held. Reusing them saves
 * allocating (and the kernel zero-filling) fresh memory for every chunk of a large file.
 */
class TwoBuffers {
  private readonly bufs: Array<Buffer | undefined> = [undefined, undefined];
  private readonly sent: Array<Promise<void>> = [Promise.resolve(), Promise.resolve()];
  private turn = 0;

  /** The next buffer of at least `size` bytes, once the socket is done with its previous use. */
  async next(size: number): Promise<Buffer> {
    const i = this.turn;
    this.turn ^= 1;
    await this.sent[i];
    let b = this.bufs[i];
    if (!b || b.length < size) this.bufs[i] = b = Buffer.allocUnsafe(size);
    return b;
  }

  /** The buffer last handed out is in flight until `flushed` settles. */
  inFlight(flushed: Promise<void>): void {
    this.sent[this.turn ^ 1] = flushed;
  }
}

/**
 * cat/readat body: bytes from `offset` to EOF or `limit`, streamed with backpressure (at most
 * two chunks in memory). Every check happens before the first byte, so errors keep their
 * status; a read error after that is appended as text, as Nomad does.
 */
export const sendRaw = async (
  res: Response,
  signal: () => AbortSignal,
  alloc: LocalAlloc,
  r: RawRead,
): Promise<void> => {
  const f = await openInAlloc(alloc, r.path);
  try {
    if (r.offset < 0) throw errors.negativeOffset(r.offset, displayRel(f.rel));
    let remaining = r.limit > 0 ? r.limit : Number.POSITIVE_INFINITY;
    let pos = r.offset;
    const buffers = new TwoBuffers();
    /** One chunk and whether it ended the transfer (a short read is the end of the file). */
    const read = async (): Promise<{ chunk: Buffer; last: boolean }> => {
      const want = nextReadSize(f.size, pos, remaining);
      if (want === 0) return { chunk: Buffer.alloc(0), last: true };
      const buf = await buffers.next(want);
      const bytesRead = await f.read(buf, 0, want, pos);
      pos += bytesRead;
      remaining -= bytesRead;
      return { chunk: buf.subarray(0, bytesRead), last: bytesRead < want || remaining <= 0 };
    };
    let { chunk, last } = await read();
    res.statusCode = 200;
    if (chunk.length === 0) {
      res.setHeader('Content-Type', EMPTY_CONTENT_TYPE);
      res.end();
      return;
    }
    setUntrustedHeaders(res, chunk);
    if (last) {
      // The whole answer came in one read (a small file): one write, nothing to overlap.
      res.setHeader('Content-Length', chunk.length);
      res.end(chunk);
      return;
    }
    const sink = new ResponseSink(res, signal());
    try {
      for (;;) {
        buffers.inFlight(sink.writeFlushed(chunk));
        if (last || sink.closed) break;
        // This read overlaps the socket sending the chunk just written.
        ({ chunk, last } = await read());
        if (chunk.length === 0) break;
      }
    } catch (e) {
      sink.write(e instanceof Error ? e.message : String(e));
    }
    res.end();
  } finally {
    f.close();
  }
};

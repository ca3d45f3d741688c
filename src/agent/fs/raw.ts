import type { Response } from 'express';
import { errors } from '../../errors';
import { displayRel, openInAlloc } from '../allocdir';
import { ResponseSink } from '../framer';
import type { LocalAlloc } from '../types';
import { EMPTY_CONTENT_TYPE, setUntrustedHeaders } from './untrusted';

/** Large reads: cat/readat are bulk transfers, and 1 MiB reads keep syscalls per byte low. */
export const RAW_CHUNK = 1024 * 1024;

export interface RawRead {
  readonly path: string;
  readonly offset: number;
  /** <= 0: no limit (spec §5.8). */
  readonly limit: number;
}

/**
 * cat/readat body (spec §5.7–5.8): bytes from `offset` to EOF or `limit`, streamed with
 * backpressure (never the whole file in memory). Every check happens before the first byte, so
 * errors keep their status; a read error after that is appended as text (spec §6.10).
 */
export const sendRaw = async (
  res: Response,
  signal: AbortSignal,
  alloc: LocalAlloc,
  r: RawRead,
): Promise<void> => {
  const f = await openInAlloc(alloc, r.path);
  try {
    if (r.offset < 0) throw errors.negativeOffset(r.offset, displayRel(f.rel));
    let remaining = r.limit > 0 ? r.limit : Number.POSITIVE_INFINITY;
    let pos = r.offset;
    const readChunk = async (): Promise<Buffer> => {
      const want = Math.min(RAW_CHUNK, remaining);
      if (want <= 0) return Buffer.alloc(0);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await f.handle.read(buf, 0, want, pos);
      pos += bytesRead;
      remaining -= bytesRead;
      return buf.subarray(0, bytesRead);
    };
    const first = await readChunk();
    res.status(200);
    if (first.length === 0) {
      res.setHeader('Content-Type', EMPTY_CONTENT_TYPE);
      res.end();
      return;
    }
    setUntrustedHeaders(res, first);
    const sink = new ResponseSink(res, signal);
    sink.write(first);
    try {
      for (;;) {
        await sink.drained();
        if (sink.closed) return;
        const chunk = await readChunk();
        if (chunk.length === 0) break;
        sink.write(chunk);
      }
    } catch (e) {
      sink.write(e instanceof Error ? e.message : String(e));
    }
    res.end();
  } finally {
    await f.handle.close().catch(() => undefined);
  }
};

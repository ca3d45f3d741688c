import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { MAX_FRAME_DATA } from '../../wire';
import type { OpenedFile } from '../allocdir';
import type { Framer } from '../framer';
import { watchPath } from './watch-registry';

/**
 * Read size once a file is being read in bulk (a read filled its buffer): 8 frames, one socket
 * write. Measured on the 2-core bench box: as fast as 1 MiB reads, with half the event-loop slice
 * (encode + write) that a follower on the same agent waits behind.
 */
export const BULK_READ = 512 * 1024;

/** Fired by the logs walker once a higher-index log file exists (the reader then drains and stops). */
export interface StopSignal {
  readonly fired: boolean;
  onFire(cb: () => void): void;
}

export interface StreamFileOptions {
  readonly file: OpenedFile;
  /** `File` in frames: the path as requested (/fs/stream) or `alloc/logs/<name>` (/fs/logs). */
  readonly name: string;
  readonly start: number;
  readonly follow: boolean;
  readonly framer: Framer;
  readonly signal: AbortSignal;
  readonly next?: StopSignal;
}

export type StreamEnd = 'eof' | 'deleted' | 'aborted';

/**
 * Read one file into the framer, optionally following it. Positional reads on the
 * opened fd: a truncation is simply "size < our offset" (event, re-read from 0), and bytes
 * written before a deletion are still drained from the unlinked inode before `file deleted`
 * is sent, so a follower never loses them. Deletion/replacement is judged by dev+ino of the
 * path. Nothing outlives the call: the watcher ref and listeners are released in `finally`.
 */
export const streamFile = async (o: StreamFileOptions): Promise<StreamEnd> => {
  const { file, name, framer, signal } = o;
  let offset = o.start;
  let stopAtEof = !o.follow || (o.next?.fired ?? false);
  let deleted = false;
  let dirty = false;
  /** Woken since the last deletion/truncation check: check again once at EOF. */
  let unchecked = false;
  /** Just woken by the watcher: the next read is the latency-critical one. */
  let woken = false;
  let wake: (() => void) | undefined;
  const poke = (): void => {
    dirty = true;
    wake?.();
  };
  const release = o.follow ? watchPath(file.abs, poke) : undefined;
  signal.addEventListener('abort', poke);
  o.next?.onFire(() => {
    stopAtEof = true;
    poke();
  });
  // Small first reads keep idle followers cheap; once a read fills its buffer the file is being
  // read in bulk, and BULK_READ reads (8 frames, one socket write) cut per-byte overhead.
  let want = MAX_FRAME_DATA;
  try {
    for (;;) {
      if (signal.aborted) return 'aborted';
      const buf = Buffer.allocUnsafe(want);
      // The first read after a wake is synchronous: the bytes were just appended (page cache, a
      // few µs), and skipping the thread-pool round trip (two thread wake-ups) keeps the append
      // → frame path to one event-loop turn even when the CPUs are busy. At most 64 KiB; bulk
      // reads stay asynchronous.
      const bytesRead = woken
        ? fs.readSync(file.fd, buf, 0, want, offset)
        : await file.read(buf, 0, want, offset);
      woken = false;
      if (bytesRead > 0) {
        offset += bytesRead;
        const short = bytesRead < want;
        want = short ? MAX_FRAME_DATA : BULK_READ;
        // A short read is EOF for now: send everything at once instead of after one more read.
        await framer.data(name, buf.subarray(0, bytesRead), offset, short);
        // Following: a short read is as good as EOF (a later append wakes us again), so the
        // wake → read → write path is one file-system round trip. Otherwise read to a 0-byte EOF.
        if (!short || stopAtEof) continue;
      } else want = MAX_FRAME_DATA;
      framer.flush();
      if (stopAtEof) {
        if (deleted) framer.event(name, 'file deleted', offset);
        return deleted ? 'deleted' : 'eof';
      }
      if (unchecked) {
        // At EOF after a wake: was the path deleted/replaced, or the file truncated? Checked
        // after reading, so bytes written before a deletion are drained first and appends cost
        // no extra round trips before they are sent. The descriptor's fstat is synchronous (it
        // never waits for a disk); the path's stat goes through the thread pool.
        unchecked = false;
        const st = file.stat();
        const gone = await replacedOrGone(file);
        if (gone) {
          deleted = true;
          stopAtEof = true;
          continue;
        }
        if (st.size < offset) {
          offset = 0;
          framer.event(name, 'file truncated', 0);
          continue;
        }
        if (st.size > offset) continue; // grew meanwhile
      }
      if (!dirty) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      dirty = false;
      unchecked = true;
      woken = true;
      if (signal.aborted) return 'aborted';
    }
  } finally {
    release?.();
    signal.removeEventListener('abort', poke);
  }
};

const replacedOrGone = async (file: OpenedFile): Promise<boolean> => {
  try {
    const st = await fsp.stat(file.abs, { bigint: true });
    return st.dev !== file.dev || st.ino !== file.ino;
  } catch {
    return true;
  }
};

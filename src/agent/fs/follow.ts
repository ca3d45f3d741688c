import fsp from 'node:fs/promises';
import { MAX_FRAME_DATA } from '../../wire';
import type { OpenedFile } from '../allocdir';
import type { Framer } from '../framer';
import { watchPath } from './watch-registry';

/** Fired by the logs walker once a higher-index log file exists (spec §6.7 step 4). */
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
 * Read one file into the framer (spec §6.4), optionally following it. Positional reads on the
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
  try {
    for (;;) {
      if (signal.aborted) return 'aborted';
      const buf = Buffer.allocUnsafe(MAX_FRAME_DATA);
      const { bytesRead } = await file.handle.read(buf, 0, buf.length, offset);
      if (bytesRead > 0) {
        offset += bytesRead;
        await framer.data(name, buf.subarray(0, bytesRead), offset);
        continue;
      }
      framer.flush();
      if (stopAtEof) {
        if (deleted) framer.event(name, 'file deleted', offset);
        return deleted ? 'deleted' : 'eof';
      }
      if (!dirty) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      dirty = false;
      if (signal.aborted) return 'aborted';
      if (stopAtEof) continue; // drain what was written before the next file appeared
      if (await replacedOrGone(file)) {
        deleted = true;
        stopAtEof = true;
        continue;
      }
      const st = await file.handle.stat();
      if (st.size < offset) {
        offset = 0;
        framer.event(name, 'file truncated', 0);
      }
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

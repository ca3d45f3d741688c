import { isHttpError } from '../../errors';
import { openInAlloc, type OpenedFile } from '../allocdir';
import type { Framer } from '../framer';
import { streamFile } from '../fs/follow';
import type { LocalAlloc } from '../types';
import { findClosest, listLogFiles, LOGS_DIR, type LogFile, type Position } from './log-files';
import { watchNextFile } from './next-file';

export interface WalkOptions {
  readonly alloc: LocalAlloc;
  /** The alloc dir's real path (allocRoot). */
  readonly root: string;
  readonly task: string;
  readonly type: 'stdout' | 'stderr';
  /** The listing the caller checked, and the start it computed (and announced) from it. */
  readonly files: readonly LogFile[];
  readonly start: Position;
  readonly follow: boolean;
  readonly framer: Framer;
  readonly signal: AbortSignal;
}

/**
 * The /fs/logs walk across rotated files (docs/wire.md, "Logs"). It starts where the caller
 * said; each later step re-lists the directory, picks the file, reads it (following until a
 * higher index appears, then draining it to EOF) and moves on to the next index. Non-follow ends after the highest index present. A file that
 * vanished before it could be opened is skipped by re-listing without advancing. Throws on
 * errors; the caller appends them to the body (the stream has started).
 */
export const walkLogs = async (o: WalkOptions): Promise<void> => {
  const { alloc, task, type, framer, signal } = o;
  let nextIdx = 0;
  let off = 0;
  let first = true;
  while (!signal.aborted) {
    const files = first ? o.files : await listLogFiles(o.root, task, type);
    const pos: Position | undefined = first ? o.start : findClosest(files, nextIdx, off);
    if (!pos) return; // every file is gone (alloc collected): nothing left to send
    if (!first && pos.file.index < nextIdx) {
      // The file we were on is gone and nothing newer exists yet. Going back to an older file
      // (what Nomad's findClosest would do) would resend bytes; wait for a newer one instead.
      if (!o.follow) return;
      await waitForIndexAbove(o.root, task, type, nextIdx - 1, signal);
      continue;
    }
    const maxIndex = files[files.length - 1]!.index;
    const name = `${LOGS_DIR}/${pos.file.name}`;
    let file: OpenedFile;
    try {
      file = await openInAlloc(alloc, name);
    } catch (e) {
      if (!isHttpError(e) || e.status !== 404) throw e;
      // Vanished (purged): re-list, same nextIdx/off. When it was the announced start, its bytes
      // are gone with it: go on with the next file, as after any file the walk has finished.
      if (first) {
        first = false;
        nextIdx = pos.file.index + 1;
      }
      continue;
    }
    first = false;
    try {
      if (!o.follow) {
        await streamFile({ file, name, start: pos.offset, follow: false, framer, signal });
        if (pos.file.index >= maxIndex) return;
      } else {
        const next = watchNextFile(o.root, task, type, pos.file.index);
        try {
          const end = await streamFile({ file, name, start: pos.offset, follow: true, framer, signal, next });
          if (end === 'aborted') return;
        } finally {
          next.close();
        }
      }
    } finally {
      file.close();
    }
    off = 0;
    nextIdx = pos.file.index + 1;
  }
};

/** Resolves once a log file with an index above `idx` exists, or the request is aborted. */
const waitForIndexAbove = async (
  allocDir: string,
  task: string,
  type: string,
  idx: number,
  signal: AbortSignal,
): Promise<void> => {
  const next = watchNextFile(allocDir, task, type, idx);
  try {
    await new Promise<void>((resolve) => {
      if (next.fired || signal.aborted) return resolve();
      next.onFire(resolve);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    next.close();
  }
};

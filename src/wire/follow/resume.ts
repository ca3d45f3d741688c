import { LOGS_DIR, parseLogName } from '../log-files';
import type { AllocFileInfo } from '../types';

/** Where a follower has got to: the file of the last data frame and the offset at its end. */
export interface Position {
  readonly file: string;
  readonly offset: number;
}

/**
 * How to judge the first data frame after a reconnect: `skip` bytes of it were already
 * delivered (trim them), or it is from an unexpected place (`lost`: retry the computation).
 */
export type Check = (file: string, start: number) => { ok: true; skip: number } | { ok: false; why: string };

export interface LogFile {
  readonly index: number;
  readonly size: number;
}

/** A listed entry's log index, when it is one of the task's log files (the agent's rule). */
const logIndex = (name: string, prefix: string): number | undefined => {
  const n = parseLogName(name, prefix);
  return n?.kind === 'log' ? n.index : undefined;
};

const basename = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

/**
 * The `origin=start` offset that lands exactly on `pos` in the `/fs/logs` walk (which starts at
 * the oldest file present and walks forward by file sizes, as the agent's logs/walk.ts does).
 *
 * `/fs/logs` cannot be asked for a file by name: with origin=start it begins at the oldest
 * file present and walks forward by file sizes. Rotated files are complete and never change,
 * so the sum of the sizes of the files older than `pos.file`, plus `pos.offset`, addresses
 * the next byte to deliver, across any number of rotations that happened while disconnected.
 * Only a purge of the oldest file between the listing and the request could move that
 * target, and `check` catches it: the first frame must start where we expect.
 */
export const logResumePoint = (
  files: readonly LogFile[],
  base: string,
  pos: Position,
): { offset: number; check: Check; lost: boolean } => {
  const sorted = [...files].sort((a, b) => a.index - b.index);
  const cur = logIndex(basename(pos.file), base);
  if (cur === undefined) throw new Error(`cannot resume: "${pos.file}" is not a ${base}N log file`);
  const older = sorted.filter((f) => f.index < cur).reduce((s, f) => s + f.size, 0);
  const here = sorted.find((f) => f.index === cur);
  const next = sorted.find((f) => f.index > cur);
  if (!here) {
    // Rotated away and purged while we were disconnected: continue with the next file there is.
    return {
      offset: older,
      lost: true,
      check: (file, start) =>
        start === 0 && (logIndex(basename(file), base) ?? -1) > cur
          ? { ok: true, skip: 0 }
          : { ok: false, why: `expected the start of a file after ${pos.file}` },
    };
  }
  const check: Check = (file, start) => {
    const idx = logIndex(basename(file), base);
    if (idx === cur) {
      if (start <= pos.offset) return { ok: true, skip: pos.offset - start };
      return { ok: false, why: `${file} resumed at ${start}, expected ${pos.offset}` };
    }
    // Data from a later file is right when ours was complete and nothing lies in between.
    if (
      idx !== undefined &&
      idx > cur &&
      start === 0 &&
      pos.offset >= here.size &&
      (!next || next.index === idx)
    ) {
      return { ok: true, skip: 0 };
    }
    return { ok: false, why: `expected ${pos.file} at ${pos.offset}, got ${file} at ${start}` };
  };
  return { offset: older + pos.offset, check, lost: false };
};

/**
 * The position `back` bytes before the end of the newest log file, spilling into older files
 * (the agent's `origin=end&offset=N` walk, computed client-side); undefined with no files.
 */
export const tailPosition = (files: readonly LogFile[], base: string, back: number): Position | undefined => {
  const sorted = [...files].sort((a, b) => b.index - a.index);
  let left = Math.max(0, back);
  for (const [i, f] of sorted.entries()) {
    if (left <= f.size || i === sorted.length - 1)
      return { file: `${LOGS_DIR}/${base}${f.index}`, offset: Math.max(0, f.size - left) };
    left -= f.size;
  }
  return undefined;
};

/** The task's log files of one type, from a listing of `alloc/logs`. */
export const listLogFiles = async (
  port: { ls(allocId: string, path: string, signal?: AbortSignal): Promise<AllocFileInfo[]> },
  allocId: string,
  base: string,
  signal?: AbortSignal,
): Promise<LogFile[]> => {
  const entries = await port.ls(allocId, LOGS_DIR, signal);
  const out: LogFile[] = [];
  for (const e of entries) {
    const index = e.IsDir ? undefined : logIndex(e.Name, base);
    if (index !== undefined) out.push({ index, size: e.Size });
  }
  return out;
};

/** For `/fs/stream` of one file: the same file at the same offset. */
export const streamCheck =
  (pos: Position): Check =>
  (file, start) =>
    start <= pos.offset
      ? { ok: true, skip: pos.offset - start }
      : { ok: false, why: `${file} resumed at ${start}, expected ${pos.offset}` };

/**
 * Whether a follower at `pos` has delivered the byte at `end` (the last byte of a log that no
 * longer changes): a later file, or the same file at or past that offset. Log files are walked
 * in index order, so the index decides before the offset does.
 */
export const reachedEnd = (pos: Position, end: Position, base: string): boolean => {
  const at = logIndex(basename(pos.file), base);
  const last = logIndex(basename(end.file), base);
  if (at === undefined || last === undefined) return false;
  return at > last || (at === last && pos.offset >= end.offset);
};

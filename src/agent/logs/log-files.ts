import fsp from 'node:fs/promises';
import path from 'node:path';
import { errors, withCause } from '../../errors';
import { LOGS_DIR, logFilePrefix, parseLogName } from '../../wire';
import { isCode, osError } from '../allocdir';

/** A rotated log file `<task>.<type>.<index>` in `alloc/logs`. */
export interface LogFile {
  readonly name: string;
  readonly index: number;
  readonly size: number;
}

export { LOGS_DIR };

/** Index of a log file name for this task/type; undefined if not one of its files; throws on a bad suffix. */
export const logIndexOf = (name: string, task: string, type: string): number | undefined => {
  const n = parseLogName(name, logFilePrefix(task, type));
  if (n?.kind === 'bad') throw errors.badLogIndex(n.suffix);
  return n?.index;
};

/**
 * The task's log files sorted by index, with sizes (lstat, like Go's ReadDir). Files that vanish
 * between listing and lstat (rotation purge) are skipped. A missing directory is reported with
 * its alloc-relative name, never the host path.
 */
export const listLogFiles = async (allocDir: string, task: string, type: string): Promise<LogFile[]> => {
  const dir = path.join(allocDir, LOGS_DIR);
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (e) {
    throw withCause(errors.listEntriesFailed(osError('open', LOGS_DIR, e).message), e);
  }
  const out: LogFile[] = [];
  for (const name of names) {
    const index = logIndexOf(name, task, type);
    if (index === undefined) continue;
    try {
      const st = await fsp.lstat(path.join(dir, name));
      if (!st.isDirectory()) out.push({ name, index, size: st.size });
    } catch (e) {
      if (!isCode(e, 'ENOENT')) throw osError('lstat', `${LOGS_DIR}/${name}`, e);
    }
  }
  return out.sort((a, b) => a.index - b.index);
};

export interface Position {
  readonly file: LogFile;
  readonly offset: number;
}

/**
 * Nomad's findClosest: the first file with index >= desired (else the newest), then
 * walk `off` across neighbours using listed sizes: negative off counts back from that file's end
 * spilling into older files (clamped to byte 0 of the oldest), positive off counts forward
 * spilling into newer files (clamped to the newest file's end).
 */
export const findClosest = (
  files: readonly LogFile[],
  desiredIdx: number,
  off: number,
): Position | undefined => {
  if (files.length === 0) return undefined;
  let i = files.findIndex((f) => f.index >= desiredIdx);
  if (i < 0) i = files.length - 1;
  let rest = off;
  for (;;) {
    const f = files[i]!;
    if (rest === 0) return { file: f, offset: 0 };
    if (rest < 0) {
      if (f.size + rest >= 0) return { file: f, offset: f.size + rest };
      if (i === 0) return { file: f, offset: 0 };
      rest += f.size;
      i--;
    } else {
      if (rest <= f.size) return { file: f, offset: rest };
      if (i === files.length - 1) return { file: f, offset: f.size };
      rest -= f.size;
      i++;
    }
  }
};

/**
 * Where a logs request starts. Deliberately unlike Nomad (docs/wire.md, "Logs"): `origin=end&offset=0` is the END of the
 * newest file (Nomad starts at its beginning); everything else is Nomad's findClosest.
 */
export const startPosition = (
  files: readonly LogFile[],
  origin: 'start' | 'end',
  offset: number,
): Position | undefined => {
  if (origin === 'start') return findClosest(files, 0, offset);
  const newest = files[files.length - 1];
  if (offset === 0) return newest && { file: newest, offset: newest.size };
  return findClosest(files, Number.POSITIVE_INFINITY, -offset);
};

import fs, { type Dir } from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { DEFAULTS } from '../../config/defaults';
import { errors } from '../../errors';
import type { AllocFileInfo } from '../../wire';
import { displayRel, isCode, openChecked, osError } from '../allocdir';
import type { LocalAlloc } from '../types';
import { toFileInfo } from './fileinfo';

/**
 * List a directory: entries with lstat semantics (a symlink is shown as the link), sorted by
 * name in byte order, no ContentType. Listing secrets/ is allowed, as in Nomad. The directory is
 * pinned by a checked descriptor and read through it (allocdir/checked.ts), so a symlink flipped
 * after the check cannot list a host directory. At most `maxEntries` entries (a clear 400
 * beyond), read lazily so a huge directory costs no more than the limit.
 */
export const listDir = async (
  alloc: LocalAlloc,
  requested: string,
  maxEntries: number = DEFAULTS.lsMaxEntries,
): Promise<AllocFileInfo[]> => {
  const dir = await openChecked(alloc, requested, 'open');
  try {
    if (!dir.stats.isDirectory()) throw errors.notDirectory(displayRel(dir.rel));
    const names = await readNames(dir.pinned, displayRel(dir.rel), maxEntries);
    names.sort(compareUtf8);
    // All entries at once (the thread pool runs them side by side), kept in name order.
    const infos = await Promise.all(
      names.map(async (name) => {
        try {
          return toFileInfo(name, await fsp.lstat(path.join(dir.pinned, name), { bigint: true }));
        } catch (e) {
          // Removed between readdir and lstat (a log rotation): it is simply no longer there.
          if (!isCode(e, 'ENOENT')) throw osError('lstat', `${dir.rel}/${name}`, e);
          return undefined;
        }
      }),
    );
    return infos.filter((i): i is AllocFileInfo => i !== undefined);
  } finally {
    dir.close();
  }
};

/**
 * Byte order of the names' UTF-8 encodings (Go sorts names as bytes), without encoding them:
 * UTF-8 byte order is code point order, which UTF-16 code-unit order matches except that
 * surrogates (code points above U+FFFF) must sort after U+E000–U+FFFF. Comparing through
 * Buffers cost two allocations per comparison.
 */
export const compareUtf8 = (a: string, b: string): number => {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x = x < 0xe000 ? x + 0x2000 : x - 0x800;
    if (y >= 0xd800) y = y < 0xe000 ? y + 0x2000 : y - 0x800;
    return x - y;
  }
  return a.length - b.length;
};

const readNames = async (pinned: string, shown: string, max: number): Promise<string[]> => {
  const names: string[] = [];
  let d: Dir;
  try {
    // Synchronous, like the other calls on a pinned descriptor (allocdir/checked.ts): this opens
    // a directory this process already holds, through procfs, and never waits for a disk. The
    // reads of its entries may, so they go through the thread pool.
    d = fs.opendirSync(pinned, { bufferSize: 256 });
  } catch (e) {
    throw osError('open', shown, e);
  }
  try {
    for (let entry = await d.read(); entry !== null; entry = await d.read()) {
      if (names.length === max) throw errors.tooManyEntries(shown, max);
      names.push(entry.name);
    }
  } finally {
    // closedir(3) of a directory stream releases memory and a descriptor: no disk, no pool trip.
    d.closeSync();
  }
  return names;
};

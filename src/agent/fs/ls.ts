import type { Dir } from 'node:fs';
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
    names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
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
    await dir.close();
  }
};

const readNames = async (pinned: string, shown: string, max: number): Promise<string[]> => {
  const names: string[] = [];
  let d: Dir;
  try {
    d = await fsp.opendir(pinned, { bufferSize: 256 });
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

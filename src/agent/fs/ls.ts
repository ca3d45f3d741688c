import fsp from 'node:fs/promises';
import path from 'node:path';
import { errors } from '../../errors';
import type { AllocFileInfo } from '../../wire';
import { displayRel, isCode, osError, resolveInAlloc } from '../allocdir';
import type { LocalAlloc } from '../types';
import { toFileInfo } from './fileinfo';

/**
 * List a directory (spec §5.5): entries with lstat semantics (a symlink is shown as the link),
 * sorted by name in byte order, no ContentType. Listing secrets/ is allowed (spec §4.2).
 */
export const listDir = async (alloc: LocalAlloc, requested: string): Promise<AllocFileInfo[]> => {
  const r = await resolveInAlloc(alloc, requested);
  let names: string[];
  try {
    names = await fsp.readdir(r.abs);
  } catch (e) {
    if (isCode(e, 'ENOENT')) throw errors.noSuchFile('open', displayRel(r.rel));
    if (isCode(e, 'ENOTDIR')) throw errors.notDirectory(displayRel(r.rel));
    throw osError('open', displayRel(r.rel), e);
  }
  names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const out: AllocFileInfo[] = [];
  for (const name of names) {
    try {
      out.push(toFileInfo(name, await fsp.lstat(path.join(r.abs, name), { bigint: true })));
    } catch (e) {
      // Removed between readdir and lstat (a log rotation): it is simply no longer there.
      if (!isCode(e, 'ENOENT')) throw osError('lstat', `${r.rel}/${name}`, e);
    }
  }
  return out;
};

import type fs from 'node:fs';
import fsp from 'node:fs/promises';
import { errors } from '../../errors';
import type { LocalAlloc } from '../types';
import { osError } from './os-error';
import { isInside } from './relpath';
import { displayRel, isCode, resolveInAlloc, type ResolvedPath } from './resolve';

/**
 * Linux O_PATH: a descriptor that names a file without opening its content, so it can be taken
 * on anything (directories, sockets, FIFOs) without side effects, then fstat'ed and reached
 * again through `/proc/self/fd/N`.
 */
const O_PATH = 0o10000000;

/** A path inside an alloc dir pinned by a descriptor whose real path was checked. */
export interface CheckedPath extends ResolvedPath {
  /** Stats of the descriptor (symlinks followed), not of whatever the name points to now. */
  readonly stats: fs.BigIntStats;
  /**
   * A name for the pinned object that no later rename or symlink flip can redirect
   * (`/proc/self/fd/N`); falls back to the checked path where /proc is missing.
   */
  readonly pinned: string;
  close(): Promise<void>;
}

/**
 * Resolve (escape checks by name), then pin the object with a descriptor and check the
 * descriptor's own real path against the alloc dir: a symlink flipped between the check and the
 * use (to a host directory, or another allocation's secrets) is caught, because what ls and
 * stat then read is the descriptor, never the name again. The read routes do the same in
 * open.ts with a readable descriptor.
 */
export const openChecked = async (
  alloc: LocalAlloc,
  requested: string,
  op: 'open' | 'stat',
): Promise<CheckedPath> => {
  const r = await resolveInAlloc(alloc, requested);
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(r.abs, O_PATH);
  } catch (e) {
    if (isCode(e, 'ENOENT') || isCode(e, 'ENOTDIR')) throw errors.noSuchFile(op, displayRel(r.rel));
    if (isCode(e, 'ELOOP')) throw errors.pathEscapes();
    throw osError(op, displayRel(r.rel), e);
  }
  try {
    const real = await fdPath(handle.fd);
    if (real !== undefined && !isInside(r.root, real)) throw errors.pathEscapes();
    const stats = await handle.stat({ bigint: true });
    const pinned = real === undefined ? r.abs : `/proc/self/fd/${handle.fd}`;
    return { ...r, stats, pinned, close: () => handle.close().catch(() => undefined) };
  } catch (e) {
    await handle.close().catch(() => undefined);
    throw osError(op, displayRel(r.rel), e);
  }
};

/** The path the kernel has for an open fd (Linux); undefined where /proc is unavailable. */
export const fdPath = async (fd: number): Promise<string | undefined> => {
  try {
    return await fsp.readlink(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
};

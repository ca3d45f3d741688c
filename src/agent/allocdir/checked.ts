import fs from 'node:fs';
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
export const O_PATH = 0o10000000;

/** A path inside an alloc dir pinned by a descriptor whose real path was checked. */
export interface CheckedPath extends ResolvedPath {
  /** Stats of the descriptor (symlinks followed), not of whatever the name points to now. */
  readonly stats: fs.BigIntStats;
  /**
   * A name for the pinned object that no later rename or symlink flip can redirect
   * (`/proc/self/fd/N`); falls back to the checked path where /proc is missing.
   */
  readonly pinned: string;
  /** Releases the descriptor (synchronous: it was opened read-only or `O_PATH`). */
  close(): void;
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
  let fd: number;
  try {
    fd = await openFd(r.abs, O_PATH);
  } catch (e) {
    if (isCode(e, 'ENOENT') || isCode(e, 'ENOTDIR')) throw errors.noSuchFile(op, displayRel(r.rel));
    if (isCode(e, 'ELOOP')) throw errors.pathEscapes();
    throw osError(op, displayRel(r.rel), e);
  }
  try {
    const real = fdPath(fd);
    if (real !== undefined && !isInside(r.root, real)) throw errors.pathEscapes();
    const stats = fs.fstatSync(fd, { bigint: true });
    const pinned = real === undefined ? r.abs : `/proc/self/fd/${fd}`;
    return { ...r, stats, pinned, close: () => closeQuietly(fd) };
  } catch (e) {
    closeQuietly(fd);
    throw osError(op, displayRel(r.rel), e);
  }
};

/** `open(2)` without a FileHandle (this descriptor never reads, so it needs none). */
export const openFd = (file: string, flags: number): Promise<number> =>
  new Promise((resolve, reject) => fs.open(file, flags, (err, fd) => (err ? reject(err) : resolve(fd))));

export const closeQuietly = (fd: number): void => {
  try {
    fs.closeSync(fd);
  } catch {
    // already closed: nothing to release
  }
};

/**
 * The path the kernel has for an open fd (Linux); undefined where /proc is unavailable.
 *
 * Synchronous on purpose, like the fstat and close of a pinned descriptor: these act on an open
 * descriptor and on procfs, never wait for a disk, and a thread-pool round trip for each cost
 * more than the call itself (docs/performance.md).
 */
export const fdPath = (fd: number): string | undefined => {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
};

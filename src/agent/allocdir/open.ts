import fs from 'node:fs';
import { errors } from '../../errors';
import type { LocalAlloc } from '../types';
import { closeQuietly, fdPath, openFd } from './checked';
import { osError } from './os-error';
import { isInside, relUnder } from './relpath';
import { assertReadable, displayRel, isCode, resolveForRead, type ResolvedPath } from './resolve';

/** A regular file opened for reading inside an alloc dir, with the identity it had when opened. */
export interface OpenedFile extends ResolvedPath {
  /** The read-only descriptor (for reads that must not wait for the thread pool). */
  readonly fd: number;
  readonly size: number;
  readonly dev: bigint;
  readonly ino: bigint;
  /** Positional read through the thread pool (the page cache may miss): bytes read. */
  read(buf: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** fstat of the descriptor (what the file is now, whatever its name points to). */
  stat(): fs.BigIntStats;
  /**
   * Releases the descriptor; later calls do nothing. Call it only once no read is pending (the
   * callers await every read before their `finally`), since the number may be reused at once.
   */
  close(): void;
}

/**
 * Open a file for reading with every check of docs/wire.md "Allocation files", closing the race between check and
 * open (Nomad PR #28468): after open, the fd's real path (`/proc/self/fd/N`) is checked again,
 * so a symlink swapped in between realpath and open cannot leak a file outside the alloc dir
 * or inside secrets. Directories are refused (`file "<path>" is a directory`).
 *
 * A plain descriptor rather than a FileHandle: closing a read-only descriptor flushes nothing,
 * so it is closed synchronously instead of with a thread-pool round trip, which is a visible
 * share of a small `cat` (docs/performance.md).
 */
export const openInAlloc = async (alloc: LocalAlloc, requested: string): Promise<OpenedFile> => {
  const r = await resolveForRead(alloc, requested);
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO (the log pipes) must not hang the request.
    fd = await openFd(r.abs, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    if (isCode(e, 'ENOENT') || isCode(e, 'ENOTDIR')) throw errors.noSuchFile('stat', displayRel(r.rel));
    if (isCode(e, 'ELOOP')) throw errors.pathEscapes();
    // A Unix socket cannot be opened at all: it is not a file with content, like a FIFO.
    if (isCode(e, 'ENXIO')) throw errors.notRegularFile(requested);
    throw osError('open', displayRel(r.rel), e);
  }
  try {
    const real = fdPath(fd);
    if (real !== undefined) {
      if (!isInside(r.root, real)) throw errors.pathEscapes();
      assertReadable(alloc, relUnder(r.root, real), requested);
    }
    const st = fs.fstatSync(fd, { bigint: true });
    if (st.isDirectory()) throw errors.isDirectory(requested);
    // FIFOs, sockets and devices have no content to serve; reading a FIFO could block forever.
    if (!st.isFile()) throw errors.notRegularFile(requested);
    let open = true;
    return {
      ...r,
      fd,
      size: Number(st.size),
      dev: st.dev,
      ino: st.ino,
      read: (buf, offset, length, position) =>
        new Promise((resolve, reject) => {
          if (!open) return reject(Object.assign(new Error('file closed'), { code: 'EBADF' }));
          fs.read(fd, buf, offset, length, position, (err, n) => (err ? reject(err) : resolve(n)));
        }),
      stat: () => fs.fstatSync(fd, { bigint: true }),
      close: () => {
        if (open) closeQuietly(fd);
        open = false;
      },
    };
  } catch (e) {
    closeQuietly(fd);
    throw osError('stat', displayRel(r.rel), e);
  }
};

import fs from 'node:fs';
import { errors } from '../../errors';
import type { LocalAlloc } from '../types';
import { closeQuietly, fdPath, O_PATH, openFd } from './checked';
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
 * open (Nomad PR #28468). The name is first pinned with `O_PATH`, which opens nothing: the pin's
 * real path (`/proc/self/fd/N`) is checked and its type read, and only a regular file inside the
 * alloc dir is then opened for reading — through the pin, so it is the same inode whatever the
 * name points to by then. A symlink a task flips between the check and the open therefore
 * cannot make the agent open a FIFO or a device, inside or outside the alloc dir (opening one
 * acts: it releases a FIFO's blocked writer, some devices act on open). Directories are refused
 * (`file "<path>" is a directory`), as are FIFOs, sockets and devices.
 *
 * A plain descriptor rather than a FileHandle: closing a read-only descriptor flushes nothing,
 * so it is closed synchronously instead of with a thread-pool round trip, which is a visible
 * share of a small `cat` (docs/performance.md). The reopen through the pin is synchronous too,
 * like the other calls on a pinned descriptor (checked.ts).
 */
export const openInAlloc = async (alloc: LocalAlloc, requested: string): Promise<OpenedFile> => {
  const r = await resolveForRead(alloc, requested);
  let pin: number;
  try {
    pin = await openFd(r.abs, O_PATH);
  } catch (e) {
    if (isCode(e, 'ENOENT') || isCode(e, 'ENOTDIR')) throw errors.noSuchFile('stat', displayRel(r.rel));
    if (isCode(e, 'ELOOP')) throw errors.pathEscapes();
    throw osError('open', displayRel(r.rel), e);
  }
  let fd: number | undefined;
  try {
    const real = fdPath(pin);
    if (real !== undefined) {
      if (!isInside(r.root, real)) throw errors.pathEscapes();
      assertReadable(alloc, relUnder(r.root, real), requested);
    }
    const st = fs.fstatSync(pin, { bigint: true });
    if (st.isDirectory()) throw errors.isDirectory(requested);
    // FIFOs, sockets and devices have no content to serve; reading a FIFO could block forever.
    if (!st.isFile()) throw errors.notRegularFile(requested);
    // O_NONBLOCK only matters where /proc is missing and the name is opened again: a FIFO
    // swapped in then must not hang the request (the identity check below refuses it).
    fd = fs.openSync(
      real === undefined ? r.abs : `/proc/self/fd/${pin}`,
      fs.constants.O_RDONLY | fs.constants.O_NONBLOCK,
    );
    if (real === undefined) {
      const again = fs.fstatSync(fd, { bigint: true });
      if (again.dev !== st.dev || again.ino !== st.ino) throw errors.pathEscapes();
    }
    const opened = fd;
    let open = true;
    return {
      ...r,
      fd: opened,
      size: Number(st.size),
      dev: st.dev,
      ino: st.ino,
      read: (buf, offset, length, position) =>
        new Promise((resolve, reject) => {
          if (!open) return reject(Object.assign(new Error('file closed'), { code: 'EBADF' }));
          fs.read(opened, buf, offset, length, position, (err, n) => (err ? reject(err) : resolve(n)));
        }),
      stat: () => fs.fstatSync(opened, { bigint: true }),
      close: () => {
        if (open) closeQuietly(opened);
        open = false;
      },
    };
  } catch (e) {
    if (fd !== undefined) closeQuietly(fd);
    throw osError('stat', displayRel(r.rel), e);
  } finally {
    closeQuietly(pin);
  }
};

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { errors } from '../../errors';
import type { LocalAlloc } from '../types';
import { fdPath } from './checked';
import { osError } from './os-error';
import { isInside, relUnder } from './relpath';
import { assertReadable, displayRel, isCode, resolveForRead, type ResolvedPath } from './resolve';

/** A regular file opened for reading inside an alloc dir, with the identity it had when opened. */
export interface OpenedFile extends ResolvedPath {
  readonly handle: fsp.FileHandle;
  readonly size: number;
  readonly dev: bigint;
  readonly ino: bigint;
}

/**
 * Open a file for reading with every check of docs/wire.md "Allocation files", closing the race between check and
 * open (Nomad PR #28468): after open, the fd's real path (`/proc/self/fd/N`) is checked again,
 * so a symlink swapped in between realpath and open cannot leak a file outside the alloc dir
 * or inside secrets. Directories are refused (`file "<path>" is a directory`).
 */
export const openInAlloc = async (alloc: LocalAlloc, requested: string): Promise<OpenedFile> => {
  const r = await resolveForRead(alloc, requested);
  let handle: fsp.FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO (the log pipes) must not hang the request.
    handle = await fsp.open(r.abs, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    if (isCode(e, 'ENOENT') || isCode(e, 'ENOTDIR')) throw errors.noSuchFile('stat', displayRel(r.rel));
    if (isCode(e, 'ELOOP')) throw errors.pathEscapes();
    // A Unix socket cannot be opened at all: it is not a file with content, like a FIFO.
    if (isCode(e, 'ENXIO')) throw errors.notRegularFile(requested);
    throw osError('open', displayRel(r.rel), e);
  }
  try {
    const real = fdPath(handle.fd);
    if (real !== undefined) {
      if (!isInside(r.root, real)) throw errors.pathEscapes();
      assertReadable(alloc, relUnder(r.root, real), requested);
    }
    const st = fs.fstatSync(handle.fd, { bigint: true });
    if (st.isDirectory()) throw errors.isDirectory(requested);
    // FIFOs, sockets and devices have no content to serve; reading a FIFO could block forever.
    if (!st.isFile()) throw errors.notRegularFile(requested);
    return { ...r, handle, size: Number(st.size), dev: st.dev, ino: st.ino };
  } catch (e) {
    await handle.close().catch(() => undefined);
    throw osError('stat', displayRel(r.rel), e);
  }
};

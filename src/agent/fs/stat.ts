import fs from 'node:fs';
import path from 'node:path';
import type { AllocFileInfo } from '../../wire';
import { closeQuietly, openChecked } from '../allocdir';
import type { LocalAlloc } from '../types';
import { toFileInfo } from './fileinfo';
import { detectContentType, SNIFF_LEN } from './sniff';

const OCTET = 'application/octet-stream';

/**
 * Stat a path: follows symlinks, adds ContentType (directory → octet-stream, empty file →
 * octet-stream, otherwise sniffed; a name ending in `.json` is application/json). Size, type and
 * sniffed bytes all come from one checked descriptor (allocdir/checked.ts), never from the name
 * again, so a symlink flipped after the check cannot describe a host file.
 */
export const statPath = async (alloc: LocalAlloc, requested: string): Promise<AllocFileInfo> => {
  const f = await openChecked(alloc, requested, 'stat');
  try {
    // A name ending in .json is application/json whatever its bytes, so it needs no sniffing.
    const contentType = requested.endsWith('.json')
      ? 'application/json'
      : f.stats.isFile()
        ? await sniffFile(f.pinned)
        : OCTET;
    return toFileInfo(path.basename(f.abs), f.stats, contentType);
  } finally {
    f.close();
  }
};

/**
 * Reopens the pinned file (the same inode, through its descriptor) to read its first bytes.
 * The reopen is synchronous, like the other calls on a pinned descriptor (allocdir/checked.ts):
 * it goes through procfs to an inode this process already holds and never waits for a disk;
 * the read may (a page-cache miss), so it goes through the thread pool.
 */
const sniffFile = async (pinned: string): Promise<string> => {
  let fd: number | undefined;
  try {
    fd = fs.openSync(pinned, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const opened = fd;
    const buf = Buffer.allocUnsafe(SNIFF_LEN);
    const bytesRead = await new Promise<number>((resolve, reject) =>
      fs.read(opened, buf, 0, SNIFF_LEN, 0, (err, n) => (err ? reject(err) : resolve(n))),
    );
    return bytesRead === 0 ? OCTET : detectContentType(buf.subarray(0, bytesRead));
  } catch {
    // Unreadable (permissions, vanished): stat still answers, like Go's sniff on a failed read.
    return OCTET;
  } finally {
    // A read-only descriptor: closing it flushes nothing, so no thread-pool trip for it.
    if (fd !== undefined) closeQuietly(fd);
  }
};

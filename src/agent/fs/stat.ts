import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { errors } from '../../errors';
import type { AllocFileInfo } from '../../wire';
import { displayRel, isCode, osError, resolveInAlloc } from '../allocdir';
import type { LocalAlloc } from '../types';
import { toFileInfo } from './fileinfo';
import { detectContentType, SNIFF_LEN } from './sniff';

const OCTET = 'application/octet-stream';

/**
 * Stat a path (spec §5.6, §4.3): follows symlinks, adds ContentType (directory → octet-stream,
 * empty file → octet-stream, otherwise sniffed; a name ending in `.json` is application/json).
 */
export const statPath = async (alloc: LocalAlloc, requested: string): Promise<AllocFileInfo> => {
  const r = await resolveInAlloc(alloc, requested);
  let st: fs.BigIntStats;
  try {
    st = await fsp.stat(r.abs, { bigint: true });
  } catch (e) {
    if (isCode(e, 'ENOENT') || isCode(e, 'ENOTDIR')) throw errors.noSuchFile('stat', displayRel(r.rel));
    throw osError('stat', displayRel(r.rel), e);
  }
  let contentType = st.isFile() ? await sniffFile(r.abs) : OCTET;
  if (requested.endsWith('.json')) contentType = 'application/json';
  return toFileInfo(path.basename(r.abs), st, contentType);
};

const sniffFile = async (abs: string): Promise<string> => {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(abs, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const buf = Buffer.alloc(SNIFF_LEN);
    const { bytesRead } = await fh.read(buf, 0, SNIFF_LEN, 0);
    return bytesRead === 0 ? OCTET : detectContentType(buf.subarray(0, bytesRead));
  } catch {
    // Unreadable (permissions, vanished): stat still answers, like Go's sniff on a failed read.
    return OCTET;
  } finally {
    await fh?.close().catch(() => undefined);
  }
};

import type { BigIntStats } from 'node:fs';
import type { AllocFileInfo } from '../../wire';
import { goFileMode } from './filemode';
import { formatModTime } from './modtime';

/** AllocFileInfo with keys in the wire's alphabetical order; ContentType only if given. */
export const toFileInfo = (name: string, st: BigIntStats, contentType?: string): AllocFileInfo => {
  const base = {
    FileMode: goFileMode(Number(st.mode)),
    IsDir: st.isDirectory(),
    ModTime: formatModTime(st.mtimeNs),
    Name: name,
    Size: Number(st.size),
  };
  return contentType === undefined ? base : { ContentType: contentType, ...base };
};

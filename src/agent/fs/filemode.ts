import fs from 'node:fs';

const C = fs.constants;
// Not in Node's typed constants; fixed by POSIX on every platform Node supports.
const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;

/**
 * Go's `FileMode.String()` for a POSIX st_mode: type/flag letters in Go's bit
 * order (`d`, `L`, `D`, `p`, `S`, `u`, `g`, `c`, `t`), or `-` when none, then `rwxrwxrwx`.
 * Go maps S_IFCHR to Device|CharDevice, hence `Dc`. Not `ls -l` format: clients compare it.
 */
export const goFileMode = (mode: number): string => {
  const type = mode & C.S_IFMT;
  let letters = '';
  if (type === C.S_IFDIR) letters += 'd';
  if (type === C.S_IFLNK) letters += 'L';
  if (type === C.S_IFBLK || type === C.S_IFCHR) letters += 'D';
  if (type === C.S_IFIFO) letters += 'p';
  if (type === C.S_IFSOCK) letters += 'S';
  if (mode & S_ISUID) letters += 'u';
  if (mode & S_ISGID) letters += 'g';
  if (type === C.S_IFCHR) letters += 'c';
  if (mode & S_ISVTX) letters += 't';
  const rwx = 'rwxrwxrwx';
  let perm = '';
  for (let i = 0; i < 9; i++) perm += mode & (1 << (8 - i)) ? rwx[i] : '-';
  return (letters || '-') + perm;
};

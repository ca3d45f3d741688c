import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** Temp files start with '.' and end with '.tmp' so directory scanners never mistake them for state. */
export const isTempName = (name: string): boolean => name.startsWith('.') || name.endsWith('.tmp');

/**
 * Write a file so that readers see the old or the new content, never a torn one:
 * temp file in the same directory, fsync, rename over the target, fsync the directory. A
 * kill -9 at any point leaves at most a stray temp file, which no reader ever reads as state.
 * Not the write-file-atomic package: it does not fsync the directory, so after a power loss the
 * rename itself may be gone, and its temp names would need their own filter in our scanners.
 */
export const writeFileAtomic = async (file: string, data: string, mode = 0o644): Promise<void> => {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await fs.open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  const dh = await fs.open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
};

/** Remove temp files a crash left behind (never read, only cleaned). */
export const removeStrayTemps = async (dir: string): Promise<void> => {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((n) => n.startsWith('.') && n.endsWith('.tmp'))
      .map((n) => fs.rm(path.join(dir, n), { force: true })),
  );
};

import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Nomad's allocation directory layout: shared `alloc/{logs,data,tmp}` and per task
 * `local`, `secrets`, `tmp`. Modes as Nomad sets them (umask-independent, hence chmod).
 */
export const createAllocLayout = async (allocDir: string, tasks: readonly string[]): Promise<void> => {
  const dirs: Array<[string, number]> = [
    ['alloc', 0o755],
    ['alloc/logs', 0o777],
    ['alloc/data', 0o777],
    ['alloc/tmp', 0o777],
  ];
  for (const t of tasks) {
    dirs.push([t, 0o777], [`${t}/local`, 0o777], [`${t}/secrets`, 0o777], [`${t}/tmp`, 0o1777]);
  }
  await fs.mkdir(allocDir, { recursive: true });
  for (const [rel, mode] of dirs) {
    const p = path.join(allocDir, rel);
    await fs.mkdir(p, { recursive: true });
    await fs.chmod(p, mode);
  }
};

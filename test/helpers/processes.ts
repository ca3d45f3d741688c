import { execFileSync } from 'node:child_process';

/** Live children of a pid as `ps` lists them: a view independent of the agent's own /proc reading. */
export const psChildren = (pid: number): number[] => {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map(Number);
  } catch {
    // ps exits 1 when there is no such child.
    return [];
  }
};

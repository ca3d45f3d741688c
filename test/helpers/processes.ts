import { execFileSync, type ChildProcess } from 'node:child_process';

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

/**
 * Kill a child and wait until it has exited: a child still running after `kill()` returns can
 * keep writing into a directory the caller is about to remove (rmSync then fails ENOTEMPTY).
 */
export const stopChild = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGKILL');
  await exited;
};

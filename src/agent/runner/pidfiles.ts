import fs from 'node:fs';
import path from 'node:path';

/**
 * Task processes run in their own process groups (so a stop reaches their children), which also
 * means they outlive an agent killed with SIGKILL. Each running task leaves a pid file
 * `client/tasks/<alloc>.<task>.pid` holding its pid and kernel start time; the next agent start
 * kills what a previous agent left (`reapOrphanTasks`) before starting the tasks again, so a
 * crash never leaves two copies of a task writing the same logs. The start time guards against
 * a recycled pid: a process is only killed if it is the very one that was recorded.
 */
const dirOf = (dataDir: string) => path.join(dataDir, 'client', 'tasks');

/** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot (after the `comm` field). */
const startTime = (pid: number): string | undefined => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
};

export const recordTask = (dataDir: string, name: string, pid: number): string => {
  const file = path.join(dirOf(dataDir), `${name}.pid`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ pid, start: startTime(pid) }));
  return file;
};

export const forgetTask = (file: string): void => fs.rmSync(file, { force: true });

/** Kill (SIGKILL, whole group) every recorded task that is still the recorded process. */
export const reapOrphanTasks = (dataDir: string): number[] => {
  const dir = dirOf(dataDir);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.pid'));
  } catch {
    return [];
  }
  const reaped: number[] = [];
  for (const n of names) {
    const file = path.join(dir, n);
    try {
      const { pid, start } = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid: number; start?: string };
      if (start !== undefined && startTime(pid) === start) {
        process.kill(-pid, 'SIGKILL');
        reaped.push(pid);
      }
    } catch {
      // A torn or stale file: nothing of ours to kill.
    }
    forgetTask(file);
  }
  return reaped;
};

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

/** How long another agent's empty group is left alone by the start-up sweep (see `fresh`). */
const FRESH_GROUP_MS = 60_000;
/** CPU counters of one cgroup v2 group (`cpu.stat`), microseconds. */
export interface CgroupCpu {
  usageUs: number;
  userUs: number;
  systemUs: number;
}

/** `cpu.stat` text → counters; undefined when a counter is missing. */
export const parseCpuStat = (text: string): CgroupCpu | undefined => {
  const v = (k: string): number | undefined => {
    const m = new RegExp(`^${k} (\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const usageUs = v('usage_usec');
  const userUs = v('user_usec');
  const systemUs = v('system_usec');
  return usageUs === undefined || userUs === undefined || systemUs === undefined
    ? undefined
    : { usageUs, userUs, systemUs };
};

/**
 * One task's cgroup v2 group. Every process the task forks is born in it and stays in it (unless
 * moved by a privileged program), so `cgroup.procs` is the task's whole process tree — including
 * descendants that daemonized or were reparented — without looking at any other process, and
 * `cpu.stat` counts the CPU of processes that already exited too.
 */
export class TaskCgroup {
  constructor(readonly dir: string) {}

  /** Pids in the group now; empty when the group is gone. */
  pids(): number[] {
    try {
      const text = fs.readFileSync(path.join(this.dir, 'cgroup.procs'), 'utf8');
      const out: number[] = [];
      for (const line of text.split('\n')) if (line !== '') out.push(Number(line));
      return out;
    } catch {
      return [];
    }
  }

  cpu(): CgroupCpu | undefined {
    try {
      return parseCpuStat(fs.readFileSync(path.join(this.dir, 'cpu.stat'), 'utf8'));
    } catch {
      return undefined;
    }
  }

  /** Remove the group; it stays (and is retried on the next agent start) while a process is in it. */
  remove(): boolean {
    try {
      fs.rmdirSync(this.dir);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOENT';
    }
  }
}

/** The cgroup v2 mount point, from /proc/self/mounts (hybrid hosts mount it at .../unified). */
export const cgroup2Mount = (mounts: string): string | undefined => {
  for (const line of mounts.split('\n')) {
    const [, mountpoint, fstype] = line.split(' ');
    if (fstype === 'cgroup2' && mountpoint) return mountpoint.replace(/\\040/g, ' ');
  }
  return undefined;
};

/** This process's cgroup v2 path (the `0::` line of /proc/self/cgroup). */
export const ownCgroup2Path = (procSelfCgroup: string): string | undefined =>
  /^0::(\/.*)$/m.exec(procSelfCgroup)?.[1];

/**
 * The shell line that starts a task inside its group: it moves itself (`echo 0` into
 * `cgroup.procs` moves the writer) and then execs the task, so the task's very first instruction
 * already runs in the group and nothing it forks can escape — Node cannot run code between fork
 * and exec itself. If the move is refused the task still starts (the sampler notices and follows
 * its process tree instead). A command that cannot be executed fails as the shell reports it:
 * exit code 127 and the shell's message in the task's stderr log.
 */
const ENTER_AND_EXEC = 'echo 0 > "$0" 2>/dev/null; exec "$@"';

/**
 * Creates one cgroup v2 group per task below the agent's own group, where the host lets the agent
 * (a writable cgroup2 hierarchy: root, or a delegated subtree). Where it cannot — no cgroup2
 * mount, read-only, or moving a process is refused — `prepare` answers undefined and the tasks
 * are tracked by their process tree instead (stats/pid-tree.ts). Checked once, at agent start,
 * by moving a short-lived probe process.
 */
export class TaskCgroups {
  private constructor(private readonly parent: string | undefined) {}

  /** `parentDir` overrides detection (tests); `false` turns groups off. */
  static open(nodeId: string, log: Logger, parentDir?: string | false): TaskCgroups {
    if (parentDir === false) return new TaskCgroups(undefined);
    const parent = parentDir ?? TaskCgroups.detect(nodeId);
    const why = parent === undefined ? 'no writable cgroup v2 hierarchy' : TaskCgroups.probe(parent);
    if (why !== undefined) {
      if (parent !== undefined && parentDir === undefined) TaskCgroups.removeIfEmpty(parent);
      log.info({ reason: why }, 'task stats follow each task process tree (no cgroup per task)');
      return new TaskCgroups(undefined);
    }
    log.info({ parent }, 'each task runs in its own cgroup v2 group');
    const groups = new TaskCgroups(parent);
    groups.sweep();
    if (parentDir === undefined) TaskCgroups.sweepGone(path.dirname(parent!), parent!);
    return groups;
  }

  private static detect(nodeId: string): string | undefined {
    try {
      const mount = cgroup2Mount(fs.readFileSync('/proc/self/mounts', 'utf8'));
      const own = ownCgroup2Path(fs.readFileSync('/proc/self/cgroup', 'utf8'));
      if (mount === undefined || own === undefined) return undefined;
      const base = path.join(mount, own);
      if (!fs.existsSync(path.join(base, 'cgroup.procs'))) return undefined;
      const parent = path.join(base, `fleetgate-${nodeId}`);
      fs.mkdirSync(parent, { recursive: true });
      return parent;
    } catch {
      return undefined;
    }
  }

  /** Start a process the way tasks start and see the kernel accept the move; the reason if not. */
  private static probe(parent: string): string | undefined {
    const group = new TaskCgroup(path.join(parent, `probe-${process.pid}`));
    try {
      fs.mkdirSync(group.dir, { recursive: true });
      const procs = path.join(group.dir, 'cgroup.procs');
      // The kernel fills a new group with its control files; a plain directory has none.
      if (!fs.existsSync(procs)) return `${parent} is not in a cgroup v2 hierarchy`;
      const r = spawnSync('/bin/sh', ['-c', 'echo 0 > "$0"', procs], { stdio: ['ignore', 'ignore', 'pipe'] });
      return r.status === 0
        ? undefined
        : `moving a process into ${group.dir} failed: ${String(r.stderr).trim()}`;
    } catch (err) {
      return (err as Error).message;
    } finally {
      group.remove();
    }
  }

  /**
   * Groups of agents killed without a chance to clean up (a node id that never starts again
   * would keep them forever). The kernel refuses to remove a group that holds a process, so a
   * running agent's tasks are never touched; a running agent whose group is empty just makes it
   * again for its next task.
   */
  private static sweepGone(base: string, own: string): void {
    try {
      for (const e of fs.readdirSync(base, { withFileTypes: true })) {
        if (!e.isDirectory() || !e.name.startsWith('fleetgate-')) continue;
        const dir = path.join(base, e.name);
        if (dir === own || TaskCgroups.fresh(dir)) continue;
        if (/^populated 1$/m.test(fs.readFileSync(path.join(dir, 'cgroup.events'), 'utf8'))) continue;
        new TaskCgroups(dir).sweep(true);
        TaskCgroups.removeIfEmpty(dir);
      }
    } catch {
      // Best effort.
    }
  }

  /**
   * Made less than a minute ago (a cgroup directory's mtime is its creation time): empty because
   * another agent is about to move a task into it, not because that agent is gone. Removing it
   * then would start that task outside its group.
   */
  private static fresh(dir: string): boolean {
    try {
      return Date.now() - fs.statSync(dir).mtimeMs < FRESH_GROUP_MS;
    } catch {
      return false;
    }
  }

  private static removeIfEmpty(dir: string): void {
    try {
      fs.rmdirSync(dir);
    } catch {
      // Not empty, or already gone.
    }
  }

  get active(): boolean {
    return this.parent !== undefined;
  }

  /**
   * Groups left by a previous agent with this node id whose processes are gone; `keepFresh`
   * spares groups made in the last minute (another agent may be about to enter them, see `fresh`).
   */
  private sweep(keepFresh = false): void {
    if (!this.parent) return;
    try {
      for (const e of fs.readdirSync(this.parent, { withFileTypes: true })) {
        const group = path.join(this.parent, e.name);
        if (e.isDirectory() && !(keepFresh && TaskCgroups.fresh(group))) new TaskCgroup(group).remove();
      }
    } catch {
      // Nothing to sweep.
    }
  }

  /** A fresh group for a task about to start; undefined where groups are off or it cannot be made. */
  prepare(name: string): TaskCgroup | undefined {
    if (!this.parent) return undefined;
    const group = new TaskCgroup(path.join(this.parent, name));
    try {
      fs.mkdirSync(group.dir, { recursive: true });
      return group;
    } catch {
      return undefined;
    }
  }

  /** The command line that starts `command args` inside `group` (see ENTER_AND_EXEC). */
  static wrap(group: TaskCgroup, command: string, args: readonly string[]): [string, string[]] {
    return ['/bin/sh', ['-c', ENTER_AND_EXEC, path.join(group.dir, 'cgroup.procs'), command, ...args]];
  }

  /** Agent shutdown: remove this agent's parent group if no task is left in it. */
  close(): void {
    if (!this.parent) return;
    this.sweep();
    try {
      fs.rmdirSync(this.parent);
    } catch {
      // A task that outlived its stop keeps it; the next start sweeps.
    }
  }
}

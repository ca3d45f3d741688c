import { childrenOf } from './proc-read';

/**
 * A task's process tree where no cgroup holds it: the pid the runner started plus every
 * descendant seen so far, found incrementally from the tracked processes' own `children` lists.
 * A process stays tracked after its parent exits (reparented orphans are still the task's), and
 * is dropped when it exits or its pid now names another process (start time changed). Cost per
 * refresh: reads of the tracked processes only. What it cannot see: a grandchild forked and
 * orphaned between two refreshes by a parent that exited in the same interval.
 */
export class PidTree {
  /** pid → start time (clock ticks since boot), undefined until first sampled. */
  private readonly known = new Map<number, number | undefined>();

  constructor(root: number) {
    this.known.set(root, undefined);
  }

  /** Add the children of every tracked process, recursively; returns all tracked pids. */
  refresh(): number[] {
    const queue = [...this.known.keys()];
    for (let pid = queue.pop(); pid !== undefined; pid = queue.pop()) {
      for (const c of childrenOf(pid)) {
        if (this.known.has(c)) continue;
        this.known.set(c, undefined);
        queue.push(c);
      }
    }
    return [...this.known.keys()];
  }

  /**
   * Record what the sampler saw for a pid: undefined (exited) or its start time. Returns false
   * when the pid is no longer ours (exited, or reused by another process) and drops it.
   */
  observe(pid: number, starttime: number | undefined): boolean {
    const was = this.known.get(pid);
    if (starttime === undefined || (was !== undefined && was !== starttime)) {
      this.known.delete(pid);
      return false;
    }
    this.known.set(pid, starttime);
    return true;
  }

  get size(): number {
    return this.known.size;
  }
}

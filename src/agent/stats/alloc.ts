import { dict, type AllocManifest, type AllocResourceUsage, type TaskResourceUsage } from '../../wire';
import type { TaskStatsSampler } from './task-sampler';
import { addUsage, zeroUsage } from './usage';

/**
 * Allocation stats (`GET /v1/client/allocation/:id/stats`) from the latest background samples of each task's processes: a
 * request reads what the sampler collected and never walks /proc. Tasks the agent runs no
 * process for report zeros with empty `Measured`; the top level sums running tasks only.
 */
export class AllocStatsCollector {
  constructor(private readonly sampler: TaskStatsSampler) {}

  async usage(manifest: AllocManifest, taskFilter: string): Promise<AllocResourceUsage> {
    const tasks = manifest.Tasks.filter((t) => taskFilter === '' || t === taskFilter);
    // Task names come from manifests any program may write: a prototype-less map keeps them all.
    const out: AllocResourceUsage = { ResourceUsage: zeroUsage(), Tasks: dict(), Timestamp: 0 };
    const latest = await Promise.all(tasks.map((t) => this.sampler.latest(manifest.ID, t)));
    tasks.forEach((task, i) => {
      const usage = latest[i];
      if (usage === undefined) {
        out.Tasks[task] = idle();
        return;
      }
      out.Tasks[task] = usage;
      out.ResourceUsage = addUsage(out.ResourceUsage, usage.ResourceUsage);
      out.Timestamp = Math.max(out.Timestamp, usage.Timestamp);
    });
    return out;
  }
}

const idle = (): TaskResourceUsage => ({
  Pids: null,
  ResourceUsage: zeroUsage(),
  Timestamp: Date.now() * 1e6,
});

import os from 'node:os';
import type { AllocManifest, AllocResourceUsage, ResourceUsage, TaskResourceUsage } from '../../wire';
import { totalComputeMhz } from './cpu';
import { processTree, sampleProcess, type ProcSample } from './proctree';
import { addUsage, zeroUsage } from './usage';

/** What the stats collector needs from the task runner: the live root pid of a task. */
export interface PidSource {
  pidOf(allocId: string, task: string): number | undefined;
}

/** Measured lists of a process-tree (executor-style) measurement: only what /proc really gives. */
const CPU_MEASURED = ['System Mode', 'User Mode', 'Percent'];

/** A CPU percentage needs two samples; with no recent one the request waits this long for a second. */
const FIRST_SAMPLE_GAP_MS = 100;
const PREV_MAX_AGE_MS = 10_000;

interface Timed {
  sample: ProcSample;
  atMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Allocation stats (spec §10.2) from each task's real process tree. Tasks the agent runs no
 * process for report zeros with empty `Measured`; the top level sums running tasks only.
 */
export class AllocStatsCollector {
  private readonly prev = new Map<number, Timed>();

  constructor(private readonly pids: PidSource) {}

  async usage(manifest: AllocManifest, taskFilter: string): Promise<AllocResourceUsage> {
    const tasks = manifest.Tasks.filter((t) => taskFilter === '' || t === taskFilter);
    const out: AllocResourceUsage = { ResourceUsage: zeroUsage(), Tasks: {}, Timestamp: 0 };
    const measured = await Promise.all(tasks.map((t) => this.taskUsage(this.pids.pidOf(manifest.ID, t))));
    tasks.forEach((task, i) => {
      const { usage, running } = measured[i]!;
      out.Tasks[task] = usage;
      if (running) {
        out.ResourceUsage = addUsage(out.ResourceUsage, usage.ResourceUsage);
        out.Timestamp = Math.max(out.Timestamp, usage.Timestamp);
      }
    });
    return out;
  }

  private async taskUsage(root: number | undefined): Promise<{ usage: TaskResourceUsage; running: boolean }> {
    const idle = {
      usage: { Pids: null, ResourceUsage: zeroUsage(), Timestamp: Date.now() * 1e6 },
      running: false,
    };
    if (root === undefined) return idle;
    const pids = await processTree(root);
    let first = await this.sampleAll(pids);
    if (first.length === 0) return idle;
    const now = Date.now();
    const stale = first.some((s) => {
      const p = this.prev.get(s.sample.pid);
      return !p || now - p.atMs > PREV_MAX_AGE_MS;
    });
    if (stale) {
      for (const s of first) this.prev.set(s.sample.pid, s);
      await sleep(FIRST_SAMPLE_GAP_MS);
      first = await this.sampleAll(pids);
    }
    const mhzPerCore = totalComputeMhz() / Math.max(1, os.cpus().length);
    const perPid: Record<string, ResourceUsage> = {};
    let total = zeroUsage();
    for (const cur of first) {
      const u = this.pidUsage(cur, this.prev.get(cur.sample.pid), mhzPerCore);
      this.prev.set(cur.sample.pid, cur);
      perPid[String(cur.sample.pid)] = u;
      total = addUsage(total, u);
    }
    this.forgetExited();
    return { usage: { Pids: perPid, ResourceUsage: total, Timestamp: Date.now() * 1e6 }, running: true };
  }

  private async sampleAll(pids: number[]): Promise<Timed[]> {
    const samples = await Promise.all(pids.map((p) => sampleProcess(p)));
    const atMs = Date.now();
    return samples.filter((s): s is ProcSample => s !== undefined).map((sample) => ({ sample, atMs }));
  }

  private pidUsage(cur: Timed, prev: Timed | undefined, mhzPerCore: number): ResourceUsage {
    const u = zeroUsage();
    const wallNs = prev ? (cur.atMs - prev.atMs) * 1e6 : 0;
    const pct = (d: number): number => (wallNs > 0 && d >= 0 ? (d / wallNs) * 100 : 0);
    const dUser = prev ? cur.sample.userNs - prev.sample.userNs : 0;
    const dSys = prev ? cur.sample.systemNs - prev.sample.systemNs : 0;
    u.CpuStats.UserMode = pct(dUser);
    u.CpuStats.SystemMode = pct(dSys);
    u.CpuStats.Percent = pct(dUser + dSys);
    u.CpuStats.TotalTicks = (u.CpuStats.Percent / 100) * mhzPerCore;
    u.CpuStats.Measured = [...CPU_MEASURED];
    u.MemoryStats.RSS = cur.sample.rssBytes;
    u.MemoryStats.Measured = ['RSS'];
    if (cur.sample.swapBytes !== undefined) {
      u.MemoryStats.Swap = cur.sample.swapBytes;
      u.MemoryStats.Measured.push('Swap');
    }
    return u;
  }

  /** Drop samples of processes not seen for a while so the map does not grow forever. */
  private forgetExited(): void {
    const cutoff = Date.now() - PREV_MAX_AGE_MS * 6;
    for (const [pid, t] of this.prev) if (t.atMs < cutoff) this.prev.delete(pid);
  }
}

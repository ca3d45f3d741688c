import os from 'node:os';
import type { HostCpuStats } from '../../wire';
import type { CpuTimes } from './procfs';

const busy = (t: CpuTimes): number =>
  t.user + t.system + t.nice + t.iowait + t.irq + t.softirq + t.steal + t.guest + t.guestNice;

/**
 * Total compute in MHz (sum over cores), as Nomad fingerprints it; per-core MHz = total ÷ cores.
 * os.cpus() reads /proc/cpuinfo and /sys; 0 on machines that do not report a speed.
 */
export const totalComputeMhz = (): number => os.cpus().reduce((sum, c) => sum + c.speed, 0);

/**
 * Percentages over the interval between two /proc/stat samples (spec §10.1). With no previous
 * sample the interval is "since boot". NaN/Inf/negative → Idle 100, the rest 0.
 */
export const cpuPercentages = (
  prev: CpuTimes[] | undefined,
  cur: CpuTimes[],
  mhzPerCore: number,
): HostCpuStats[] =>
  cur.map((c) => {
    const p = prev?.find((x) => x.name === c.name);
    const d = (f: (t: CpuTimes) => number): number => f(c) - (p ? f(p) : 0);
    const total = d(busy) + d((t) => t.idle);
    const pct = (v: number): number => (v / total) * 100;
    const ok = [total, d(busy), d((t) => t.idle)].every((v) => Number.isFinite(v) && v >= 0) && total > 0;
    if (!ok) return { CPU: c.name, Idle: 100, System: 0, TotalPercent: 0, TotalTicks: 0, User: 0 };
    const totalPercent = pct(d(busy));
    return {
      CPU: c.name,
      Idle: pct(d((t) => t.idle)),
      System: pct(d((t) => t.system)),
      TotalPercent: totalPercent,
      TotalTicks: (totalPercent / 100) * mhzPerCore,
      User: pct(d((t) => t.user)),
    };
  });

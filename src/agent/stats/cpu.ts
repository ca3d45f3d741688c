import fs from 'node:fs';
import os from 'node:os';
import type { HostCpuStats } from '../../wire';
import type { CpuTimes } from './procfs';

const busy = (t: CpuTimes): number =>
  t.user + t.system + t.nice + t.iowait + t.irq + t.softirq + t.steal + t.guest + t.guestNice;

/** Sum of the `cpu MHz` lines of a /proc/cpuinfo text (0 when there are none). */
export const mhzFromCpuinfo = (text: string): number =>
  [...text.matchAll(/^cpu MHz\s*:\s*([\d.]+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);

let computeMhz: number | undefined;

/**
 * Total compute in MHz (sum over cores), as Nomad fingerprints it; per-core MHz = total ÷ cores.
 * os.cpus() reports speed 0 on some VMs (this project's CI machines among them) although
 * /proc/cpuinfo has `cpu MHz`, which is what gopsutil reads for Nomad: fall back to it, so
 * TotalTicks and CPUTicksConsumed are not silently zero. Read once: it is a fingerprint.
 */
export const totalComputeMhz = (): number => {
  if (computeMhz === undefined) {
    computeMhz = os.cpus().reduce((sum, c) => sum + c.speed, 0);
    if (computeMhz === 0) {
      try {
        computeMhz = mhzFromCpuinfo(fs.readFileSync('/proc/cpuinfo', 'utf8'));
      } catch {
        computeMhz = 0;
      }
    }
  }
  return computeMhz;
};

/**
 * Percentages over the interval between two /proc/stat samples, as Nomad's HostStats reports them. With no previous
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

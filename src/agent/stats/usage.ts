import type { CpuStats, MemoryStats, ResourceUsage } from '../../wire';

export const zeroCpu = (): CpuStats => ({
  Measured: [],
  Percent: 0,
  SystemMode: 0,
  ThrottledPeriods: 0,
  ThrottledTime: 0,
  TotalTicks: 0,
  UserMode: 0,
});

export const zeroMemory = (): MemoryStats => ({
  Cache: 0,
  KernelMaxUsage: 0,
  KernelUsage: 0,
  MappedFile: 0,
  MaxUsage: 0,
  Measured: [],
  RSS: 0,
  Swap: 0,
  Usage: 0,
});

export const zeroUsage = (): ResourceUsage => ({
  CpuStats: zeroCpu(),
  DeviceStats: [],
  MemoryStats: zeroMemory(),
});

const union = (a: string[], b: string[]): string[] => [...a, ...b.filter((x) => !a.includes(x))];

/** Field-wise sum; Measured lists unioned in order of first appearance (Nomad's AllocResourceUsage sums tasks this way). */
export const addUsage = (a: ResourceUsage, b: ResourceUsage): ResourceUsage => {
  const c = a.CpuStats;
  const d = b.CpuStats;
  const m = a.MemoryStats;
  const n = b.MemoryStats;
  return {
    CpuStats: {
      Measured: union(c.Measured, d.Measured),
      Percent: c.Percent + d.Percent,
      SystemMode: c.SystemMode + d.SystemMode,
      ThrottledPeriods: c.ThrottledPeriods + d.ThrottledPeriods,
      ThrottledTime: c.ThrottledTime + d.ThrottledTime,
      TotalTicks: c.TotalTicks + d.TotalTicks,
      UserMode: c.UserMode + d.UserMode,
    },
    DeviceStats: [...a.DeviceStats, ...b.DeviceStats],
    MemoryStats: {
      Cache: m.Cache + n.Cache,
      KernelMaxUsage: m.KernelMaxUsage + n.KernelMaxUsage,
      KernelUsage: m.KernelUsage + n.KernelUsage,
      MappedFile: m.MappedFile + n.MappedFile,
      MaxUsage: m.MaxUsage + n.MaxUsage,
      Measured: union(m.Measured, n.Measured),
      RSS: m.RSS + n.RSS,
      Swap: m.Swap + n.Swap,
      Usage: m.Usage + n.Usage,
    },
  };
};

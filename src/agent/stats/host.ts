import type { Logger } from 'pino';
import type { DiskStats, HostStats } from '../../wire';
import { cpuPercentages, totalComputeMhz } from './cpu';
import { diskStatsOf, ZERO_DISK } from './disk';
import { readCpuTimes, readMeminfo, readPhysicalMounts, readUptime, type CpuTimes } from './procfs';

/** Nomad's default `collection_interval`: host stats are at most this old. */
export const HOST_STATS_INTERVAL_MS = 1000;

/**
 * Host statistics in Nomad's HostStats shape (field names of Nomad 1.6 and later), collected in the background every second; the endpoint returns
 * the latest snapshot, collecting once synchronously if there is none yet.
 */
export class HostStatsCollector {
  private prevCpu: CpuTimes[] | undefined;
  private latest: HostStats | undefined;
  private timer: NodeJS.Timeout | undefined;
  private collecting: Promise<HostStats> | undefined;

  constructor(
    private readonly allocRoot: string,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.collect().catch((err: unknown) => this.log.warn({ err }, 'host stats collection failed'));
    }, HOST_STATS_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async current(): Promise<HostStats> {
    return this.latest ?? this.collect();
  }

  collect(): Promise<HostStats> {
    this.collecting ??= this.collectOnce().finally(() => {
      this.collecting = undefined;
    });
    return this.collecting;
  }

  private async collectOnce(): Promise<HostStats> {
    const [cpu, mem, uptime, disks, allocDir] = await Promise.all([
      readCpuTimes(),
      readMeminfo(),
      readUptime(),
      this.disks(),
      diskStatsOf(this.allocRoot, '', '').catch(() => ZERO_DISK),
    ]);
    const mhzPerCore = cpu.length > 0 ? totalComputeMhz() / cpu.length : 0;
    const cpuStats = cpuPercentages(this.prevCpu, cpu, mhzPerCore);
    this.prevCpu = cpu;
    const m = (k: string): number => mem[k] ?? 0;
    const stats: HostStats = {
      AllocDirStats: allocDir,
      CPU: cpuStats,
      CPUTicksConsumed: cpuStats.reduce((s, c) => s + c.TotalTicks, 0),
      DeviceStats: [],
      DiskStats: disks.length > 0 ? disks : null,
      Memory: {
        Available: m('MemAvailable'),
        Free: m('MemFree'),
        Total: m('MemTotal'),
        Used: m('MemTotal') - m('MemFree') - m('Buffers') - (m('Cached') + m('SReclaimable')),
      },
      Timestamp: Date.now() * 1e6,
      Uptime: uptime,
    };
    this.latest = stats;
    return stats;
  }

  /** Unreadable partitions are skipped, as Nomad does, rather than failing the whole answer. */
  private async disks(): Promise<DiskStats[]> {
    const mounts = await readPhysicalMounts();
    const all = await Promise.all(
      mounts.map((mt) => diskStatsOf(mt.mountpoint, mt.device, mt.mountpoint).catch(() => undefined)),
    );
    return all.filter((d): d is DiskStats => d !== undefined);
  }
}

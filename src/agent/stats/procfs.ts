import fs from 'node:fs/promises';

/** Per-CPU jiffy counters from one `/proc/stat` line (named as Nomad's CPU stats name them). */
export interface CpuTimes {
  name: string;
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
  guest: number;
  guestNice: number;
}

/** `cpuN` lines of /proc/stat (the aggregate `cpu` line is skipped). */
export const parseProcStat = (text: string): CpuTimes[] =>
  text
    .split('\n')
    .filter((l) => /^cpu\d+\s/.test(l))
    .map((l) => {
      const [name, ...rest] = l.trim().split(/\s+/);
      const n = rest.map(Number);
      const at = (i: number): number => n[i] ?? 0;
      return {
        name: name ?? 'cpu',
        user: at(0),
        nice: at(1),
        system: at(2),
        idle: at(3),
        iowait: at(4),
        irq: at(5),
        softirq: at(6),
        steal: at(7),
        guest: at(8),
        guestNice: at(9),
      };
    });

export const readCpuTimes = async (): Promise<CpuTimes[]> =>
  parseProcStat(await fs.readFile('/proc/stat', 'utf8'));

/** /proc/meminfo values in bytes, keyed by field name. */
export const parseMeminfo = (text: string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?/.exec(line);
    if (m) out[m[1]!] = Number(m[2]) * (line.endsWith('kB') ? 1024 : 1);
  }
  return out;
};

export const readMeminfo = async (): Promise<Record<string, number>> =>
  parseMeminfo(await fs.readFile('/proc/meminfo', 'utf8'));

/** Seconds since boot. */
export const readUptime = async (): Promise<number> =>
  Math.floor(Number((await fs.readFile('/proc/uptime', 'utf8')).split(' ')[0]));

export interface Mount {
  device: string;
  mountpoint: string;
  fstype: string;
}

/** /proc/self/mounts escapes spaces etc. as octal (`\040`). */
const unescapeMount = (s: string): string =>
  s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));

export const parseMounts = (text: string): Mount[] =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '))
    .map(([device = '', mountpoint = '', fstype = '']) => ({
      device: unescapeMount(device),
      mountpoint: unescapeMount(mountpoint),
      fstype,
    }));

/** Filesystem types the kernel marks `nodev` (proc, sysfs, tmpfs, cgroup, …): not disks. */
export const parseNodevTypes = (text: string): Set<string> =>
  new Set(
    text
      .split('\n')
      .filter((l) => l.startsWith('nodev'))
      .map((l) => l.split(/\s+/)[1] ?? ''),
  );

/**
 * Physical partitions (gopsutil `Partitions(false)`): mounts of non-nodev filesystems, one per
 * device (bind mounts of the same device would repeat the same numbers).
 */
export const readPhysicalMounts = async (): Promise<Mount[]> => {
  const [mounts, filesystems] = await Promise.all([
    fs.readFile('/proc/self/mounts', 'utf8'),
    fs.readFile('/proc/filesystems', 'utf8'),
  ]);
  const nodev = parseNodevTypes(filesystems);
  const seen = new Set<string>();
  return parseMounts(mounts).filter((m) => {
    if (nodev.has(m.fstype) || seen.has(m.device)) return false;
    seen.add(m.device);
    return true;
  });
};

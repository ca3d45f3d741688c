import fs from 'node:fs/promises';
import type { DiskStats } from '../../wire';

/** Nomad's DiskStats arithmetic from statfs; NaN (no inodes, empty fs) becomes 0. */
export const diskStatsOf = async (target: string, device: string, mountpoint: string): Promise<DiskStats> => {
  const s = await fs.statfs(target);
  // Node's statfs gives f_bsize, which Linux reports equal to f_frsize for these filesystems.
  const size = s.blocks * s.bsize;
  const available = s.bavail * s.bsize;
  const used = (s.blocks - s.bfree) * s.bsize;
  const finite = (n: number): number => (Number.isFinite(n) ? n : 0);
  return {
    Available: available,
    Device: device,
    InodesUsedPercent: finite(((s.files - s.ffree) / s.files) * 100),
    Mountpoint: mountpoint,
    Size: size,
    Used: used,
    UsedPercent: finite((used / (used + available)) * 100),
  };
};

export const ZERO_DISK: DiskStats = {
  Available: 0,
  Device: '',
  InodesUsedPercent: 0,
  Mountpoint: '',
  Size: 0,
  Used: 0,
  UsedPercent: 0,
};

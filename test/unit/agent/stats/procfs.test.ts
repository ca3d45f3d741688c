import { cpuPercentages } from '../../../../src/agent/stats/cpu';
import {
  parseMeminfo,
  parseMounts,
  parseNodevTypes,
  parseProcStat,
} from '../../../../src/agent/stats/procfs';
import { parseStat } from '../../../../src/agent/stats/proc-read';

describe('procfs parsing', () => {
  it('per-CPU percentages come from the deltas of two /proc/stat samples', () => {
    const a = parseProcStat('cpu  1 1 1 1\ncpu0 100 0 50 800 50 0 0 0 0 0\n');
    const b = parseProcStat('cpu  2 2 2 2\ncpu0 130 0 60 850 60 0 0 0 0 0\n');
    const [c] = cpuPercentages(a, b, 2000);
    expect(c).toEqual({ CPU: 'cpu0', Idle: 50, System: 10, TotalPercent: 50, TotalTicks: 1000, User: 30 });
  });
  it('no elapsed ticks gives Idle 100 and zeros', () => {
    const a = parseProcStat('cpu0 1 0 1 1 0 0 0 0 0 0\n');
    expect(cpuPercentages(a, a, 1000)[0]).toMatchObject({ Idle: 100, TotalPercent: 0, User: 0 });
  });
  it('meminfo values are bytes', () => {
    expect(parseMeminfo('MemTotal:       16 kB\nHugePages_Total:       0\n')).toEqual({
      MemTotal: 16384,
      HugePages_Total: 0,
    });
  });
  it('mount paths are unescaped and nodev filesystems are recognised', () => {
    expect(parseMounts('/dev/sda1 /mnt/a\\040b ext4 rw 0 0\n')).toEqual([
      { device: '/dev/sda1', mountpoint: '/mnt/a b', fstype: 'ext4' },
    ]);
    expect([...parseNodevTypes('nodev\tproc\n\text4\nnodev\ttmpfs\n')]).toEqual(['proc', 'tmpfs']);
  });
  it('/proc/<pid>/stat with spaces and parens in comm', () => {
    expect(parseStat('42 (a b) c) S 7 42 42 0 -1 4194560 1 0 0 0 15 3 0 0 20 0 1 0 1 1 1')).toEqual({
      ppid: 7,
      utime: 15,
      stime: 3,
      starttime: 1,
    });
  });
});

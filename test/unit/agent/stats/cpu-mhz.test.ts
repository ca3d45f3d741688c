import fs from 'node:fs';
import { mhzFromCpuinfo, totalComputeMhz } from '../../../../src/agent/stats/cpu';

describe('total compute (MHz) for CPU ticks', () => {
  it('sums the cpu MHz lines of /proc/cpuinfo', () => {
    const text =
      'processor\t: 0\ncpu MHz\t\t: 2596.130\ncache size\t: 512 KB\n\nprocessor\t: 1\ncpu MHz\t\t: 2400.5\n';
    expect(mhzFromCpuinfo(text)).toBeCloseTo(4996.63, 2);
    expect(mhzFromCpuinfo('processor\t: 0\n')).toBe(0);
  });

  it('is never zero on a machine whose /proc/cpuinfo reports a speed', () => {
    const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
    if (mhzFromCpuinfo(cpuinfo) === 0) return; // e.g. arm64 kernels without `cpu MHz`: nothing to compare
    expect(totalComputeMhz()).toBeGreaterThan(0);
  });
});

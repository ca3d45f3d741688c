import fs from 'node:fs/promises';

/** USER_HZ: Linux reports utime/stime in 1/100 s on every mainstream architecture. */
export const CLOCK_TICKS_PER_SEC = 100;

export interface ProcSample {
  pid: number;
  /** CPU time in user and kernel mode, nanoseconds. */
  userNs: number;
  systemNs: number;
  rssBytes: number;
  /** undefined when /proc/<pid>/status has no VmSwap line (not measurable). */
  swapBytes: number | undefined;
}

/** `/proc/<pid>/stat`: the comm field may contain spaces and parens, so split after the last ')'. */
export const parseStat = (text: string): { ppid: number; utime: number; stime: number } | undefined => {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text.slice(close + 2).split(' ');
  // After comm: state(0) ppid(1) … utime(11) stime(12).
  return { ppid: Number(f[1]), utime: Number(f[11]), stime: Number(f[12]) };
};

const statusKb = (status: string, key: string): number | undefined => {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : undefined;
};

/** The pid and all its descendants (walks every /proc/<pid>/stat once to build the ppid map). */
export const processTree = async (root: number): Promise<number[]> => {
  const names = await fs.readdir('/proc');
  const children = new Map<number, number[]>();
  await Promise.all(
    names
      .filter((n) => /^\d+$/.test(n))
      .map(async (n) => {
        const st = parseStat(await fs.readFile(`/proc/${n}/stat`, 'utf8').catch(() => ''));
        if (!st) return;
        const list = children.get(st.ppid) ?? [];
        list.push(Number(n));
        children.set(st.ppid, list);
      }),
  );
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
};

/** One process's counters; undefined when it has exited. */
export const sampleProcess = async (pid: number): Promise<ProcSample | undefined> => {
  try {
    const [statText, status] = await Promise.all([
      fs.readFile(`/proc/${pid}/stat`, 'utf8'),
      fs.readFile(`/proc/${pid}/status`, 'utf8'),
    ]);
    const st = parseStat(statText);
    if (!st) return undefined;
    const tickNs = 1e9 / CLOCK_TICKS_PER_SEC;
    return {
      pid,
      userNs: st.utime * tickNs,
      systemNs: st.stime * tickNs,
      // Kernel threads and zombies have no VmRSS line: they use no user memory.
      rssBytes: statusKb(status, 'VmRSS') ?? 0,
      swapBytes: statusKb(status, 'VmSwap'),
    };
  } catch {
    return undefined;
  }
};

import fs from 'node:fs';

/** USER_HZ: Linux reports utime/stime in 1/100 s on every mainstream architecture. */
export const CLOCK_TICKS_PER_SEC = 100;

/** The fields of `/proc/<pid>/stat` the stats need. */
export interface StatFields {
  ppid: number;
  /** Clock ticks in user and kernel mode. */
  utime: number;
  stime: number;
  /** Start time in clock ticks since boot: with the pid, it names one process (pids are reused). */
  starttime: number;
}

/** `/proc/<pid>/stat`: the comm field may contain spaces and parens, so split after the last ')'. */
export const parseStat = (text: string): StatFields | undefined => {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text.slice(close + 2).split(' ');
  // After comm: state(0) ppid(1) … utime(11) stime(12) … starttime(19).
  return { ppid: Number(f[1]), utime: Number(f[11]), stime: Number(f[12]), starttime: Number(f[19]) };
};

const statusKb = (status: string, key: string): number | undefined => {
  const at = status.indexOf(`\n${key}:`);
  if (at < 0) return undefined;
  const m = /^\s+(\d+) kB/.exec(status.slice(at + key.length + 2, at + key.length + 40));
  return m ? Number(m[1]) * 1024 : undefined;
};

/** One process's counters at one moment. */
export interface ProcSample {
  pid: number;
  starttime: number;
  /** CPU time in user and kernel mode, nanoseconds. */
  userNs: number;
  systemNs: number;
  rssBytes: number;
  /** undefined when /proc/<pid>/status has no VmSwap line (not measurable). */
  swapBytes: number | undefined;
}

const readOr = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch {
    return undefined;
  }
};

/**
 * One process's counters; undefined when it has exited. Synchronous on purpose: two small reads
 * of procfs cost less than a trip through the thread pool, and the sampler yields between batches.
 */
export const sampleProcess = (pid: number): ProcSample | undefined => {
  const statText = readOr(`/proc/${pid}/stat`);
  const status = readOr(`/proc/${pid}/status`);
  const st = statText === undefined ? undefined : parseStat(statText);
  if (!st || status === undefined) return undefined;
  const tickNs = 1e9 / CLOCK_TICKS_PER_SEC;
  return {
    pid,
    starttime: st.starttime,
    userNs: st.utime * tickNs,
    systemNs: st.stime * tickNs,
    // Kernel threads and zombies have no VmRSS line: they use no user memory.
    rssBytes: statusKb(status, 'VmRSS') ?? 0,
    swapBytes: statusKb(status, 'VmSwap'),
  };
};

/**
 * Direct children of a process, from `/proc/<pid>/task/<tid>/children` of each of its threads
 * (a child belongs to the thread that forked it; Go programs fork from any thread). Costs reads
 * of this process only, never a walk of the host's process table. Empty when it has exited.
 */
export const childrenOf = (pid: number): number[] => {
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tids) {
    const text = readOr(`/proc/${pid}/task/${tid}/children`);
    if (!text) continue;
    for (const c of text.split(' ')) if (c !== '' && c !== '\n') out.push(Number(c));
  }
  return out;
};

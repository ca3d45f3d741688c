/**
 * CPU accounting for benchmarks. On a shared, loaded machine throughput swings with the
 * neighbours; the CPU time a process spends per request or per GiB moves much less, so the
 * benchmarks print both.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';

const TICK_MS = 10; // USER_HZ = 100 on Linux

/** User + system CPU time a live process has used so far, milliseconds. */
export const procCpuMs = (pid: number): number => {
  const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
};

/** CPU a set of live processes spends while `fn` runs, milliseconds per process. */
export const cpuDuring = async <T>(
  pids: number[],
  fn: () => Promise<T> | T,
): Promise<{ result: T; cpuMs: number[] }> => {
  const before = pids.map(procCpuMs);
  const result = await fn();
  return { result, cpuMs: pids.map((p, i) => procCpuMs(p) - before[i]!) };
};

/**
 * Runs a command to completion under /usr/bin/time with stdout to /dev/null; its own CPU
 * (user + system, milliseconds) and wall time (seconds).
 */
export const timedRun = (cmd: string, args: string[]): { cpuMs: number; wallS: number } => {
  const devnull = fs.openSync('/dev/null', 'w');
  try {
    const r = spawnSync('/usr/bin/time', ['-f', '@@time %U %S %e', cmd, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', devnull, 'pipe'],
    });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return parseTime(r.stderr);
  } finally {
    fs.closeSync(devnull);
  }
};

export const parseTime = (stderr: string): { cpuMs: number; wallS: number } => {
  const m = /@@time ([\d.]+) ([\d.]+) ([\d.]+)/.exec(stderr);
  if (!m) throw new Error(`no timing in: ${stderr.slice(-300)}`);
  return { cpuMs: (Number(m[1]) + Number(m[2])) * 1000, wallS: Number(m[3]) };
};

/**
 * `timedRun` without blocking this process (it drains the output of the servers under test):
 * the command's CPU and wall time, and its stdout when `captureStdout` (else /dev/null).
 */
export const timedSpawn = (
  cmd: string,
  args: string[],
  o: { env?: NodeJS.ProcessEnv; captureStdout?: boolean } = {},
): Promise<{ cpuMs: number; wallS: number; stdout: string }> =>
  new Promise((resolve, reject) => {
    const devnull = fs.openSync('/dev/null', 'w');
    const p = spawn('/usr/bin/time', ['-f', '@@time %U %S %e', cmd, ...args], {
      env: { ...process.env, ...o.env },
      stdio: ['ignore', o.captureStdout ? 'pipe' : devnull, 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      fs.closeSync(devnull);
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(-500)}`));
      resolve({ ...parseTime(err), stdout: out });
    });
  });

import crypto from 'node:crypto';
/**
 * Shared pieces for benchmarks: processes on loopback, curl timings, percentiles.
 * Benchmarks are not tests: they print figures and ratios measured side by side in one run.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const CLI = path.resolve(__dirname, '../dist/cli/main.js');

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

export const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

/** Download a URL with curl to /dev/null; returns MB/s (10^6 bytes) of body and seconds. */
export const curlSpeed = (
  url: string,
  headers: string[] = [],
): { mbps: number; seconds: number; bytes: number } => {
  const out = execFileSync(
    'curl',
    [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{size_download} %{time_total}',
      ...headers.flatMap((h) => ['-H', h]),
      url,
    ],
    { encoding: 'utf8' },
  );
  const [bytes, seconds] = out.trim().split(' ').map(Number) as [number, number];
  return { mbps: bytes / seconds / 1e6, seconds, bytes };
};

/** A 1 GiB file of random bytes, made once and reused across runs. */
export const bigFile = (file = '/tmp/fleetgate-bench-1g.bin', size = 1024 ** 3): string => {
  if (fs.existsSync(file) && fs.statSync(file).size === size) return file;
  process.stderr.write(`creating ${file} (${size} bytes, once)...\n`);
  execFileSync('dd', [
    'if=/dev/urandom',
    `of=${file}`,
    'bs=4M',
    `count=${size / (4 * 1024 * 1024)}`,
    'status=none',
  ]);
  return file;
};

export interface Proc {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Start a process and wait for `listening on http://...` in its output. */
export const startListening = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Proc> =>
  new Promise((resolve, reject) => {
    // Default log level (info: one line per request), as an operator runs it; output is drained.
    const proc = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (https?:\/\/\S+)/.exec(out);
      if (m) {
        proc.stdout!.off('data', onData).resume();
        proc.stderr!.off('data', onData).resume();
        resolve({
          url: m[1]!,
          proc,
          stop: () =>
            new Promise((res) => {
              if (proc.exitCode !== null) return res();
              proc.once('exit', () => res());
              proc.kill('SIGTERM');
            }),
        });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${out}`)));
  });

export const fmt = (n: number, digits = 1): string => n.toFixed(digits);

/** `fleetgate agent` on a free port for a benchmark's data dir; `extra` adds flags (e.g. --redis). */
export const agentArgs = (dataDir: string, extra: string[] = [], cli = CLI): string[] => [
  cli,
  'agent',
  '--http-addr',
  '127.0.0.1:0',
  '--data-dir',
  dataDir,
  '--node-name',
  'bench',
  ...extra,
];

/** `fleetgate gateway` on a free port over `redisUrl`, admitting agents that hold `joinFile`. */
export const gatewayArgs = (
  redisUrl: string,
  joinFile: string,
  extra: string[] = [],
  cli = CLI,
): string[] => [
  cli,
  'gateway',
  '--http-addr',
  '127.0.0.1:0',
  '--redis',
  redisUrl,
  '--node-join-token',
  joinFile,
  ...extra,
];

/**
 * Runs wrk to completion without blocking this process: the servers under test log to pipes
 * this process drains, and a blocked reader (spawnSync) fills those pipes, so the server's logger
 * would stall or buffer instead of writing its lines as it does in production.
 */
export const wrk = (args: string[]): Promise<{ stdout: string; stderr: string }> =>
  new Promise((resolve, reject) => {
    const p = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', () => resolve({ stdout, stderr }));
  });

/**
 * A join token file for a benchmark's gateway (`--node-join-token`) and agents (`--join-token`):
 * agents register through the gateway and hold no Redis URL.
 */
export const joinTokenFile = (dir: string): string => {
  const file = path.join(dir, 'join-token');
  fs.writeFileSync(file, `${crypto.randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
  return file;
};

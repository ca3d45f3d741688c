import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { CLI, startFleetgate, type FleetgateProcess } from '../helpers/fleetgate-process';
import { eventually } from '../helpers/eventually';
import { seedAlloc as seedAllocation, type SeededAlloc } from '../helpers/seed-alloc';

export { sleep } from '../helpers/eventually';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI once and collects its output and exit code. */
export const runCli = (args: string[], env: NodeJS.ProcessEnv = {}, stdin?: string): Promise<CliResult> =>
  new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    if (stdin !== undefined) p.stdin!.end(stdin);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });

/** A long-running CLI (`alloc logs -f`) whose output is read while it runs. */
export interface LiveCli {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}
export const spawnCli = (args: string[], env: NodeJS.ProcessEnv = {}): LiveCli => {
  const proc = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => proc.on('close', (code) => r(code)));
  return { proc, stdout: () => out, stderr: () => err, exited };
};

/** `eventually` with the description first, as the CLI tests read best. */
export const waitFor = async (
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 15000,
): Promise<void> => {
  await eventually(cond, timeoutMs, what);
};

export const httpStatus = (url: string): Promise<number> =>
  new Promise((resolve) => {
    http
      .get(url, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', () => resolve(0));
  });

/** `ClientStatus` of an allocation as the gateway reports it, or undefined when it cannot say. */
export const allocStatus = (gw: string, allocId: string): Promise<string | undefined> =>
  new Promise((resolve) => {
    http
      .get(`${gw}/v1/allocation/${allocId}`, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => {
          try {
            resolve(
              res.statusCode === 200
                ? (JSON.parse(body) as { ClientStatus?: string }).ClientStatus
                : undefined,
            );
          } catch {
            resolve(undefined);
          }
        });
      })
      .on('error', () => resolve(undefined));
  });

/** The counter task's allocation, written as a manifest; the test writes its logs. */
export type { SeededAlloc };
export const seedAlloc = (dataDir: string, task: string): SeededAlloc =>
  seedAllocation(dataDir, { task, job: 'counter' });

/**
 * Writes `1\n2\n...` (or `<tag> 1\n...` with a tag) into <task>.stdout.N, rotating every
 * `rotateAt` bytes, like the agent's rotator.
 */
export class NumberWriter {
  n = 0;
  private idx = 0;
  private size = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly logsDir: string,
    private readonly task: string,
    private readonly rotateAt: number,
    private readonly tag = '',
  ) {
    fs.writeFileSync(this.file(), '');
  }
  private file(): string {
    return path.join(this.logsDir, `${this.task}.stdout.${this.idx}`);
  }
  start(everyMs = 3, perTick = 2): void {
    this.timer = setInterval(() => {
      try {
        this.burst(perTick);
      } catch (err) {
        // A failed test's clean-up removed the directory under a still-running writer: stop
        // instead of throwing from a timer, which would crash the jest worker and hide the failure.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        this.stop();
      }
    }, everyMs);
  }
  /** Write `k` lines now. */
  burst(k: number): void {
    for (let i = 0; i < k; i++) {
      if (this.size >= this.rotateAt) {
        this.idx++;
        this.size = 0;
      }
      const line = this.tag ? `${this.tag} ${++this.n}\n` : `${++this.n}\n`;
      fs.appendFileSync(this.file(), line);
      this.size += line.length;
    }
  }
  stop(): void {
    clearInterval(this.timer);
  }
  get files(): number {
    return this.idx + 1;
  }
}

/** Agent restartable on the same port (so the node keeps its advertised address). */
export const agentArgs = (
  port: number,
  dataDir: string,
  name: string,
  gatewayUrl: string,
  joinToken: string,
  extra: string[] = [],
): string[] => [
  'agent',
  '--http-addr',
  `127.0.0.1:${port}`,
  '--data-dir',
  dataDir,
  '--node-name',
  name,
  '--gateway',
  gatewayUrl,
  '--join-token',
  joinToken,
  '--heartbeat-interval-ms',
  '300',
  ...extra,
];

export const startAgent = (args: string[]): Promise<FleetgateProcess> => startFleetgate(args);

/** Every number 1..n exactly once, in order: the lines as the CLI printed them. */
export const numbersOf = (out: string): number[] =>
  out
    .split('\n')
    .filter((l) => l !== '')
    .map(Number);

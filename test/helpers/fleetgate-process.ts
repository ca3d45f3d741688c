import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const CLI = path.resolve(__dirname, '../../dist/cli/main.js');

export interface FleetgateProcess {
  proc: ChildProcess;
  /** Base URL the process printed when it started listening. */
  url: string;
  pid: number;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Runs the built CLI (`npm test` builds first) and waits for its
 * `fleetgate <role> listening on http://H:P` line on stdout.
 */
export const startFleetgate = (
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 15000,
): Promise<FleetgateProcess> =>
  new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, FLEETGATE_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let done = false;
    const timer = setTimeout(() => {
      if (!done) {
        done = true;
        proc.kill('SIGKILL');
        reject(new Error(`fleetgate ${args.join(' ')} did not start:\n${out}`));
      }
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (https?:\/\/[^\s]+)/.exec(out);
      if (m && !done) {
        done = true;
        clearTimeout(timer);
        resolve({
          proc,
          url: m[1]!,
          pid: proc.pid!,
          output: () => out,
          stop: (signal = 'SIGTERM') =>
            new Promise<void>((res) => {
              if (proc.exitCode !== null || proc.signalCode !== null) return res();
              proc.once('exit', () => res());
              proc.kill(signal);
            }),
        });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => {
      if (!done) {
        done = true;
        clearTimeout(timer);
        reject(new Error(`fleetgate ${args.join(' ')} exited ${code}:\n${out}`));
      }
    });
  });

/** Open file descriptors of a process (Linux /proc). */
export const fdCount = async (pid: number): Promise<number> => {
  const fs = await import('node:fs/promises');
  return (await fs.readdir(`/proc/${pid}/fd`)).length;
};

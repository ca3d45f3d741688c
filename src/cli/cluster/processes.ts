import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

/** A child process of `fleetgate cluster`, with its output going to a log file. */
export interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly logFile: string;
  /** The base URL it printed (`listening on http://…`), when it prints one. */
  readonly url?: string;
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });

export const portFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

/**
 * Starts a process and resolves once a line matching `ready` appears in its output (or
 * rejects with the tail of its log when it exits first or takes too long).
 */
export const startChild = (
  name: string,
  cmd: string,
  args: string[],
  logFile: string,
  ready: RegExp,
  timeoutMs = 20000,
): Promise<Child> =>
  new Promise((resolve, reject) => {
    const log = fs.createWriteStream(logFile, { flags: 'a' });
    const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = '';
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const url = /listening on (https?:\/\/\S+)/.exec(seen)?.[1];
      if (err) reject(err);
      else resolve({ name, proc, logFile, ...(url ? { url } : {}) });
    };
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      finish(
        new Error(
          `${name} did not become ready within ${timeoutMs} ms; see ${logFile}:\n${seen.slice(-2000)}`,
        ),
      );
    }, timeoutMs);
    const onData = (d: Buffer) => {
      log.write(d);
      if (!done) {
        seen += d.toString();
        if (ready.test(seen)) finish();
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('error', (err) => finish(new Error(`cannot run ${cmd} for ${name}: ${err.message}`)));
    proc.on('exit', (code, sig) => {
      log.end();
      finish(
        new Error(
          `${name} exited (${sig ?? code}) before it was ready; see ${logFile}:\n${seen.slice(-2000)}`,
        ),
      );
    });
  });

/** SIGTERM every child, then SIGKILL whatever is still running after `graceMs`. */
export const stopChildren = async (children: readonly Child[], graceMs = 5000): Promise<void> => {
  await Promise.all(
    [...children].reverse().map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.proc.exitCode !== null || c.proc.signalCode !== null) return resolve();
          const t = setTimeout(() => c.proc.kill('SIGKILL'), graceMs);
          c.proc.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          c.proc.kill('SIGTERM');
        }),
    ),
  );
};

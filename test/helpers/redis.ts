import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './ports';

export interface RedisServer {
  url: string;
  port: number;
  /** Stop it (SIGKILL by default: tests use this to simulate Redis dying). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Start it again on the same port (after stop). */
  restart(): Promise<void>;
}

/**
 * A real redis-server on a free loopback port, no persistence. `.ci/run` installs redis-server
 * when the machine lacks it; a missing binary fails loudly with the fix.
 */
export interface RedisTls {
  cert: string;
  key: string;
  ca: string;
  /** Require a client certificate signed by `ca` (redis' tls-auth-clients). */
  authClients: boolean;
}

/**
 * With `tls`, redis listens for TLS only (`--port 0 --tls-port P`) and the URL is rediss://.
 * `extraArgs` go to redis-server as they are (`--requirepass`, ...).
 */
export const startRedis = async (tls?: RedisTls, extraArgs: readonly string[] = []): Promise<RedisServer> => {
  const port = await freePort();
  const listenArgs = tls
    ? [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-cert-file',
        tls.cert,
        '--tls-key-file',
        tls.key,
        '--tls-ca-cert-file',
        tls.ca,
        '--tls-auth-clients',
        tls.authClients ? 'yes' : 'no',
      ]
    : ['--port', String(port)];
  let proc: ChildProcess | undefined;

  const launch = () =>
    new Promise<void>((resolve, reject) => {
      const p = spawn(
        'redis-server',
        [...listenArgs, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      proc = p;
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`redis-server did not start on ${port}: ${out}`)),
        10000,
      );
      p.on('error', (err) => {
        clearTimeout(timer);
        reject(
          new Error(`cannot run redis-server (${err.message}); install it: apt-get install -y redis-server`),
        );
      });
      p.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });

  await launch();
  return {
    port,
    url: `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    stop: async (signal = 'SIGKILL') => {
      const p = proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        p.once('exit', () => resolve());
        p.kill(signal);
      });
    },
    restart: launch,
  };
};

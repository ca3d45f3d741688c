import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sleep } from '../../helpers/eventually';

export interface TinyServer {
  url: string;
  hostPort: string;
  hits: string[];
  close(): Promise<void>;
}

/** A real HTTP server on a loopback port 0, recording the paths it was asked for. */
export const tinyServer = (
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<TinyServer> =>
  new Promise((resolve) => {
    const hits: string[] = [];
    const srv = http.createServer((req, res) => {
      hits.push(req.url ?? '');
      handler(req, res);
    });
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        hostPort: `127.0.0.1:${port}`,
        hits,
        close: () =>
          new Promise<void>((r) => {
            srv.closeAllConnections();
            srv.close(() => r());
          }),
      });
    });
  });

/** A port nothing listens on (bound then released). */
export const deadPort = async (): Promise<number> => {
  const s = await tinyServer(() => undefined);
  const port = Number(s.hostPort.split(':')[1]);
  await s.close();
  return port;
};

export const sendJson = (res: http.ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

/**
 * A port whose SYNs go unanswered, like a host behind a dropping firewall: a listener that never
 * accepts (python, as Node always accepts), with its backlog filled by parked connections.
 */
export const synBlackhole = async (): Promise<{ port: number; close(): void }> => {
  const { spawn } = await import('node:child_process');
  const net = await import('node:net');
  const py = spawn(
    'python3',
    [
      '-c',
      'import socket,time\ns=socket.socket();s.bind(("127.0.0.1",0));s.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(120)',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    py.on('error', reject);
    py.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
  });
  const parked = [0, 1, 2].map(() => net.connect(port, '127.0.0.1').on('error', () => undefined));
  await sleep(200);
  return {
    port,
    close: () => {
      parked.forEach((s) => s.destroy());
      py.kill('SIGKILL');
    },
  };
};

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

/** Listen on `host:port` (port 0 allowed) and return the URL actually bound. */
export const listen = async (app: Express, addr: string): Promise<{ server: http.Server; url: string }> => {
  const i = addr.lastIndexOf(':');
  const host = addr.slice(0, i).replace(/^\[|\]$/g, '');
  const server = http.createServer(app);
  // Streams are long-lived: no request timeout; keep-alive longer than typical LB idle limits.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(addr.slice(i + 1)), host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return { server, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}` };
};

import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createEdgeServer, type EdgeLimits } from '../../edge/server';

/**
 * Listen on `host:port` (port 0 allowed) and return the URL actually bound. The server is the
 * shared edge (framing checks, bounded request times, 100-continue on demand); response
 * streams are not limited, so log follows may last as long as the client wants.
 */
export const listen = async (
  app: Express,
  addr: string,
  limits: EdgeLimits = {},
): Promise<{ server: http.Server; url: string }> => {
  const i = addr.lastIndexOf(':');
  const host = addr.slice(0, i).replace(/^\[|\]$/g, '');
  const server = createEdgeServer(app, limits);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(addr.slice(i + 1)), host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return { server, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}` };
};

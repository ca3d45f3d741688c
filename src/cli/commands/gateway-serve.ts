import type http from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { ServerTlsFiles } from '../../config/tls';
import type { EdgeLimits } from '../../edge/server';
import { silentLogger, type Logger } from '../../log/logger';
import { createAppServer } from '../../tls/server';

/**
 * Listen on `host:port` (port 0 allowed) and return the URL actually bound (https:// with TLS).
 * The server is the shared edge (framing checks, bounded request times, 100-continue on
 * demand); response streams are not limited, so log follows may last as long as the client wants.
 */
export const listen = async (
  app: Express,
  addr: string,
  opts: { limits?: EdgeLimits; tls?: ServerTlsFiles | undefined; logger?: Logger } = {},
): Promise<{ server: http.Server | https.Server; url: string; reload: () => void }> => {
  const i = addr.lastIndexOf(':');
  const host = addr.slice(0, i).replace(/^\[|\]$/g, '');
  const { server, scheme, reload } = createAppServer(
    app,
    opts.tls,
    opts.logger ?? silentLogger(),
    opts.limits,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(addr.slice(i + 1)), host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return { server, url: `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`, reload };
};

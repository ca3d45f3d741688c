import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Per-request log line. Handlers add `node`, `alloc` and `accessor` bindings through
 * `req.log.setBindings` / `res.locals`; 4xx log at debug-ish `info`, 5xx at `error`.
 */
export const httpLogger = (logger: Logger) =>
  pinoHttp({
    logger,
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug',
    serializers: {
      req: (req: { method: string; url: string; id: unknown }) => ({
        id: req.id,
        method: req.method,
        // The query string is kept: fleetgate never takes tokens from it.
        url: req.url,
      }),
    },
  });

import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * One log line per request (design.md: every request logs node, alloc and the caller's
 * accessor ID; handlers add them with `req.log.setBindings`). 5xx and handler errors log at
 * `error`, everything else at `info`, so `--log-level warn` keeps only what needs attention.
 */
export const httpLogger = (logger: Logger) =>
  pinoHttp({
    logger,
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
      err || res.statusCode >= 500 ? 'error' : 'info',
    serializers: {
      req: (req: { method: string; url: string; id: unknown }) => ({
        id: req.id,
        method: req.method,
        // The query string is kept, but fleetgate never takes tokens from it, so a caller who put
        // one there by mistake must not find it in the logs.
        url: redactSecrets(req.url),
      }),
      // The status is what an operator reads; response headers cost serialization per request.
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });

/** Query parameters whose name says they carry a credential (`token`, `X-Nomad-Token`, `secret_id`). */
const SECRET_PARAM = /([?&][^=&]*(?:token|secret)[^=&]*=)[^&]*/gi;

export const redactSecrets = (url: string): string =>
  url.includes('?') ? url.replace(SECRET_PARAM, '$1[redacted]') : url;

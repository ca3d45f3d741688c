import type { ErrorRequestHandler, Request, Response } from 'express';
import { isHttpError } from '../errors';
import type { Logger } from '../log/logger';

/** spec §2.3: `?pretty` (any value but "0") → 4-space indent plus a trailing newline. */
export const wantsPretty = (req: Request): boolean => {
  const v = (req.query as Record<string, unknown>)['pretty'];
  if (v === undefined) return false;
  const first = Array.isArray(v) ? v[0] : v;
  return first !== '0';
};

/** JSON as Nomad writes it: `application/json` without charset, compact without newline. */
export const sendJson = (req: Request, res: Response, body: unknown): void => {
  const text = wantsPretty(req) ? `${JSON.stringify(body, null, 4)}\n` : JSON.stringify(body);
  res.status(200).set('Content-Type', 'application/json').send(text);
};

/**
 * The one error middleware (design.md): an HttpError becomes its status and plain-text message;
 * anything else is logged and answered 500 without internals. Never a stack trace. If the
 * response already started (a stream), the text is appended and the response ended.
 */
export const errorMiddleware =
  (logger: Logger): ErrorRequestHandler =>
  (err: unknown, _req, res, _next) => {
    const known = isHttpError(err);
    const status = known ? err.status : 500;
    const message = known ? err.message : 'internal gateway error';
    if (!known) logger.error({ err }, 'unhandled gateway error');
    res.locals['error'] = message;
    if (res.headersSent) {
      if (!res.writableEnded) res.end(`\n${message}`);
      return;
    }
    res.status(status).set('Content-Type', 'text/plain; charset=utf-8').send(message);
  };

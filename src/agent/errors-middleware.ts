import type { ErrorRequestHandler, RequestHandler } from 'express';
import { errors, isHttpError } from '../errors';

/**
 * The agent's one error handler (design.md "Errors"): HttpError → its status and plain-text
 * message; anything else → 500 with a generic message (the detail goes to the log, never a
 * stack trace to the client). After the first byte of a stream, the message is appended to the
 * body, as Nomad does, so existing clients can report it.
 */
export const errorMiddleware: ErrorRequestHandler = (err: unknown, req, res, _next) => {
  const http = isHttpError(err) ? err : undefined;
  if (!http) req.log?.error({ err }, 'agent handler failed');
  const status = http?.status ?? 500;
  const message = http?.message ?? 'internal error';
  if (res.headersSent) {
    if (!res.writableEnded) res.end(message);
    return;
  }
  res.status(status).setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(message);
};

/** Paths no route matched. */
export const notFoundMiddleware: RequestHandler = (_req, _res, next) => next(errors.notFound());

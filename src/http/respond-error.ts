import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { errors, isHttpError, type HttpError } from '../errors';
import type { Logger } from '../log/logger';
import { requestLogFields } from '../log/http';

/**
 * The one error responder of both roles: an HttpError becomes its status and its message as
 * plain text (Nomad's wire reply); anything else is 500 `internal error`. A 5xx is logged with
 * its cause and the request's log fields (route, alloc, accessor); an unexpected error's own
 * text never reaches the client (it may carry host paths or internals). After a stream has
 * started, the message is appended to the body and the response ended, as Nomad does, so
 * clients can still report it.
 */
export const sendError = (
  res: ServerResponse,
  err: unknown,
  logger: Logger | undefined,
  req?: IncomingMessage,
): void => {
  const wire: HttpError = isHttpError(err) ? err : errors.internal();
  if (wire.status >= 500) {
    const cause = isHttpError(err) ? err.cause : err;
    logger?.error(
      { ...(req ? requestLogFields(req) : {}), err: cause ?? err, code: wire.code, status: wire.status },
      'request failed',
    );
  }
  if (res.headersSent) {
    if (!res.writableEnded) res.end(wire.message);
    return;
  }
  res.writeHead(wire.status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(wire.message),
  });
  res.end(wire.message);
};

export const errorResponder =
  (logger: Logger): ErrorRequestHandler =>
  (err: unknown, req, res, _next) =>
    sendError(res, err, logger, req);

/** Paths nothing answered. */
export const notFoundResponder: RequestHandler = (_req, _res, next) => next(errors.notFound());

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';

/**
 * One log line per request, written when its response closes: method, url (secrets redacted),
 * status, duration in ms and what the pipeline learned on the way (route id, node, alloc, the
 * caller's accessor ID, added with `bindRequestLog`). 5xx log at `error`, everything else at
 * `info`, so `--log-level warn` keeps only what needs attention.
 *
 * This replaced pino-http, whose per-request child logger re-serialized its bindings on every
 * `setBindings` and ran the standard request/response serializers: about a tenth of a trivial
 * request's CPU in a profile (docs/performance.md). Here the fields are a plain object until the
 * one line is written, and nothing is done at all when the line's level is off. The line keeps
 * pino-http's shape (`req.{id,method,url}`, `res.statusCode`, `responseTime`, `msg`).
 */
const FIELDS = Symbol('fleetgate.requestLog');
type Logged = IncomingMessage & { [FIELDS]?: Record<string, unknown> };

let lastId = 0;

/**
 * The logger request lines go through: the given one without header redaction. A request line
 * carries no headers (method, a url whose secrets are already masked, ids, the status), so the
 * redaction pass had nothing to do on it and yet cost as much as writing the rest of the line.
 * Every other line keeps the logger's redaction.
 */
const lineLoggers = new WeakMap<Logger, Logger>();
const lineLogger = (logger: Logger): Logger => {
  let line = lineLoggers.get(logger);
  if (!line) lineLoggers.set(logger, (line = logger.child({}, { redact: { paths: [] } })));
  return line;
};

export const logRequest = (
  logger: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  fields: Record<string, unknown> = {},
): void => {
  if (!logger.isLevelEnabled('error')) return;
  const line = lineLogger(logger);
  const bound: Record<string, unknown> = { ...fields };
  (req as Logged)[FIELDS] = bound;
  const id = ++lastId;
  const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '';
  const method = req.method;
  const start = performance.now();
  res.once('close', () => {
    const status = res.statusCode;
    const level = status >= 500 ? 'error' : 'info';
    if (!line.isLevelEnabled(level)) return;
    line[level](
      {
        req: { id, method, url: redactSecrets(url) },
        ...bound,
        res: { statusCode: status },
        responseTime: Math.round(performance.now() - start),
      },
      res.writableFinished ? 'request completed' : 'request aborted',
    );
  });
};

/** Adds fields to the request's log line (no-op when the request is not logged). */
export const bindRequestLog = (req: IncomingMessage, fields: Record<string, unknown>): void => {
  const bound = (req as Logged)[FIELDS];
  if (bound) Object.assign(bound, fields);
};

/** The fields bound so far, for other lines about the same request (a 5xx's cause). */
export const requestLogFields = (req: IncomingMessage): Readonly<Record<string, unknown>> =>
  (req as Logged)[FIELDS] ?? {};

/** Express middleware form, for the gateway's app. */
export const httpLogger =
  (logger: Logger, fields?: Record<string, unknown>) =>
  (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    logRequest(logger, req, res, fields);
    next();
  };

/** Query parameters whose name says they carry a credential (`token`, `X-Nomad-Token`, `secret_id`). */
const SECRET_PARAM = /([?&][^=&]*(?:token|secret)[^=&]*=)[^&]*/gi;

export const redactSecrets = (url: string): string =>
  url.includes('?') ? url.replace(SECRET_PARAM, '$1[redacted]') : url;

import pino from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/** Token headers never reach a log line: a log is read by more people than may hold the token. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-nomad-token"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export interface LoggerOptions {
  level?: string;
  name?: string;
}

/** Logs go to stderr so that CLI output on stdout stays clean for scripts. */
export const createLogger = (opts: LoggerOptions = {}): Logger =>
  pino(
    {
      level: opts.level ?? 'info',
      ...(opts.name ? { name: opts.name } : {}),
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    // Asynchronous writes keep the request path off a blocking write(2) per log line; pino
    // flushes the buffer when the process exits (pino docs, "Asynchronous Logging").
    pino.destination({ dest: 2, sync: false }),
  );

/** A logger that discards everything: tests and in-process components that must stay quiet. */
export const silentLogger = (): Logger => pino({ level: 'silent' });

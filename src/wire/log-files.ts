/**
 * Log file names, the one rule for the agent (which walks them) and the client (which resumes
 * a follow from a listing): a task's rotated logs are `alloc/logs/<task>.<type>.<index>`, the
 * index a decimal integer as Go's strconv.Atoi reads it (sign allowed, leading zeros fine).
 */
export const LOGS_DIR = 'alloc/logs';

/** The file-name prefix of a task's logs of one type: `<task>.<type>.`. */
export const logFilePrefix = (task: string, type: string): string => `${task}.${type}.`;

export type LogName =
  | { readonly kind: 'log'; readonly index: number }
  /** The task's prefix with a suffix that is not an index: Nomad's walk fails on it. */
  | { readonly kind: 'bad'; readonly suffix: string };

/** What `name` is for the logs whose names start with `prefix`; undefined for anyone else's file. */
export const parseLogName = (name: string, prefix: string): LogName | undefined => {
  if (!name.startsWith(prefix)) return undefined;
  const suffix = name.slice(prefix.length);
  return /^[+-]?[0-9]+$/.test(suffix)
    ? { kind: 'log', index: Number.parseInt(suffix, 10) }
    : { kind: 'bad', suffix };
};

/**
 * A fleetgate agent's `/fs/logs` answer names where it started reading (`<index>:<offset>`, the
 * file's log index and the byte offset in it), in a header sent before any frame. A follower
 * that has received no data yet needs it: "past the end" requests start wherever the log ended
 * at that instant, so neither a resume nor the "delivered everything" check can be computed from
 * the request's own offset. Clients that do not know the header ignore it.
 */
export const LOG_START_HEADER = 'x-fleetgate-log-start';

export interface LogStart {
  readonly index: number;
  readonly offset: number;
}

export const formatLogStart = (s: LogStart): string => `${s.index}:${s.offset}`;

/** The header's value, or undefined when absent or malformed (an older agent, a proxy's mangling). */
export const parseLogStart = (value: string | string[] | undefined): LogStart | undefined => {
  const m = typeof value === 'string' ? /^([+-]?\d{1,15}):(\d{1,15})$/.exec(value) : null;
  return m ? { index: Number.parseInt(m[1]!, 10), offset: Number.parseInt(m[2]!, 10) } : undefined;
};

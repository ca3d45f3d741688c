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

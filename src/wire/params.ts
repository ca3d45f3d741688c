import { errors } from '../errors';
import { parseGoBool, parseGoInt } from './go-parse';

/**
 * The query parameters of each route row, parsed in the order Nomad checks them, so the first
 * error a caller sees is Nomad's first. Both roles run these before anything else (see
 * src/http/kernel.ts). Anything that does not parse is a 400: Nomad answers 500 for some of
 * them (`offset`, stream's `follow`), which blames the server for a caller's typo.
 */
export type Origin = 'start' | 'end';
export type LogType = 'stdout' | 'stderr';

/** Read access to a request's query: the first value of a parameter, '' when absent (Go's `Query().Get`). */
export interface Query {
  get(name: string): string;
}

const requiredPath = (q: Query): string => {
  const p = q.get('path');
  if (p === '') throw errors.missingFileName();
  return p;
};

const origin = (q: Query): Origin => {
  const o = q.get('origin');
  if (o === '' || o === 'start') return 'start';
  if (o === 'end') return 'end';
  throw errors.badOrigin();
};

/** Rows without parameters of their own. */
export type NoParams = Record<string, never>;
export const noParams = (): NoParams => ({});

/** `?task=` of allocation stats: unknown task → empty Tasks (not an error). */
export interface TaskFilter {
  task: string;
}
export const parseTaskFilter = (q: Query): TaskFilter => ({ task: q.get('task') });

/** `ls`: `path` defaults to `/` when absent or empty. */
export interface LsParams {
  path: string;
}
export const parseLs = (q: Query): LsParams => ({ path: q.get('path') || '/' });

/** `stat` and `cat`: `path` is required, although Nomad's documentation says it defaults to `/`. */
export interface PathParams {
  path: string;
}
export const parsePath = (q: Query): PathParams => ({ path: requiredPath(q) });

export interface ReadAtParams {
  path: string;
  offset: number;
  limit: number;
}
export const parseReadAt = (q: Query): ReadAtParams => {
  const path = requiredPath(q);
  const rawOffset = q.get('offset');
  // offset is required: Go parses the empty string and fails with `parsing "": invalid syntax`.
  if (rawOffset === '') throw errors.badInt('offset', rawOffset);
  const offset = parseGoInt('offset', rawOffset);
  const limit = parseGoInt('limit', q.get('limit'));
  return { path, offset, limit };
};

export interface StreamParams {
  path: string;
  follow: boolean;
  offset: number;
  origin: Origin;
}
export const parseStream = (q: Query): StreamParams => {
  const path = requiredPath(q);
  const follow = parseGoBool('follow', q.get('follow'), true);
  const offset = parseGoInt('offset', q.get('offset'));
  return { path, follow, offset, origin: origin(q) };
};

export interface LogsParams {
  task: string;
  follow: boolean;
  plain: boolean;
  type: LogType;
  offset: number;
  origin: Origin;
}
export const parseLogs = (q: Query): LogsParams => {
  const task = q.get('task');
  if (task === '') throw errors.missingTaskName();
  const follow = parseGoBool('follow', q.get('follow'), false);
  const plain = parseGoBool('plain', q.get('plain'), false);
  const type = q.get('type');
  if (type !== 'stdout' && type !== 'stderr') throw errors.missingLogType();
  const offset = parseGoInt('offset', q.get('offset'));
  return { task, follow, plain, type, offset, origin: origin(q) };
};

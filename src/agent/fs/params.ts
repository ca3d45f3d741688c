import type { Request } from 'express';
import { errors } from '../../errors';
import { allocIdParam } from '../../wire';
import { parseGoBool, parseGoInt } from '../../wire/go-parse';

/**
 * Per-route parameter parsing in the spec's order (§5.5–5.10). Wire policy: anything that does
 * not parse is a 400 (Nomad returns 500 for some of these; spec §12 item 3).
 */
export type Origin = 'start' | 'end';
export type LogType = 'stdout' | 'stderr';

/** The first value of a query parameter; '' when absent (Go's `Query().Get`). */
const q = (req: Request, name: string): string => {
  const v = req.query[name];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' ? first : '';
};

const allocId = (req: Request): string => {
  const id = allocIdParam(req.params);
  if (id === '') throw errors.missingAllocId();
  return id;
};

const requiredPath = (req: Request): string => {
  const p = q(req, 'path');
  if (p === '') throw errors.missingFileName();
  return p;
};

const origin = (req: Request): Origin => {
  const o = q(req, 'origin');
  if (o === '' || o === 'start') return 'start';
  if (o === 'end') return 'end';
  throw errors.badOrigin();
};

export interface LsParams {
  allocId: string;
  path: string;
}
export const parseLs = (req: Request): LsParams => ({ allocId: allocId(req), path: q(req, 'path') || '/' });

export interface PathParams {
  allocId: string;
  path: string;
}
export const parseStat = (req: Request): PathParams => {
  const id = allocId(req);
  return { allocId: id, path: requiredPath(req) };
};
export const parseCat = parseStat;

export interface ReadAtParams {
  allocId: string;
  path: string;
  offset: number;
  limit: number;
}
export const parseReadAt = (req: Request): ReadAtParams => {
  const id = allocId(req);
  const path = requiredPath(req);
  const rawOffset = q(req, 'offset');
  // offset is required: Go parses the empty string and fails with `parsing "": invalid syntax`.
  if (rawOffset === '') throw errors.badInt('offset', rawOffset);
  const offset = parseGoInt('offset', rawOffset);
  const limit = parseGoInt('limit', q(req, 'limit'));
  return { allocId: id, path, offset, limit };
};

export interface StreamParams {
  allocId: string;
  path: string;
  follow: boolean;
  offset: number;
  origin: Origin;
}
export const parseStream = (req: Request): StreamParams => {
  const id = allocId(req);
  const path = requiredPath(req);
  const follow = parseGoBool('follow', q(req, 'follow'), true);
  const offset = parseGoInt('offset', q(req, 'offset'));
  return { allocId: id, path, follow, offset, origin: origin(req) };
};

export interface LogsParams {
  allocId: string;
  task: string;
  follow: boolean;
  plain: boolean;
  type: LogType;
  offset: number;
  origin: Origin;
}
export const parseLogs = (req: Request): LogsParams => {
  const id = allocId(req);
  const task = q(req, 'task');
  if (task === '') throw errors.missingTaskName();
  const follow = parseGoBool('follow', q(req, 'follow'), false);
  const plain = parseGoBool('plain', q(req, 'plain'), false);
  const type = q(req, 'type');
  if (type !== 'stdout' && type !== 'stderr') throw errors.missingLogType();
  const offset = parseGoInt('offset', q(req, 'offset'));
  return { allocId: id, task, follow, plain, type, offset, origin: origin(req) };
};

import type { Request, Response } from 'express';

/**
 * `?pretty` (spec §2.3): present with an empty value or anything but "0" → 4-space indent plus a
 * trailing newline; absent or `0` → compact, no trailing newline.
 */
export const wantsPretty = (req: Request): boolean => {
  const url = new URL(req.originalUrl, 'http://x');
  if (!url.searchParams.has('pretty')) return false;
  return url.searchParams.getAll('pretty')[0] !== '0';
};

/** JSON success reply: `application/json` without charset, as Nomad sends (spec §2.6). */
export const sendJson = (req: Request, res: Response, body: unknown): void => {
  const text = wantsPretty(req) ? `${JSON.stringify(body, null, 4)}\n` : JSON.stringify(body);
  res.status(200).setHeader('Content-Type', 'application/json');
  res.end(text);
};

/** GC endpoints answer 200 with an empty body and no Content-Type (spec §2.6). */
export const sendEmpty = (res: Response): void => {
  res.status(200).end();
};

/** A query parameter's first value ('' when absent). */
export const queryParam = (req: Request, name: string): string => {
  const v: unknown = req.query[name];
  if (Array.isArray(v)) return typeof v[0] === 'string' ? v[0] : '';
  return typeof v === 'string' ? v : '';
};

import type { Request, Response } from 'express';

/**
 * `?pretty`: present with an empty value or anything but "0" → 4-space indent plus a trailing
 * newline; absent or `0` → compact, no trailing newline (Nomad's rule).
 */
export const wantsPretty = (req: Request): boolean => {
  const v = (req.query as Record<string, unknown>)['pretty'];
  if (v === undefined) return false;
  const first = Array.isArray(v) ? (v as unknown[])[0] : v;
  return first !== '0';
};

/** The one JSON responder: 200, `application/json` without charset, as Nomad sends it. */
export const sendJson = (req: Request, res: Response, body: unknown): void => {
  const text = wantsPretty(req) ? `${JSON.stringify(body, null, 4)}\n` : JSON.stringify(body);
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
};

/** 200 with an empty body and no Content-Type (Nomad's GC endpoints and ACL writes). */
export const sendEmpty = (res: Response): void => {
  res.statusCode = 200;
  res.end();
};

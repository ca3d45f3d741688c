import type { Request, Response } from 'express';

/**
 * JSON reply for ls/stat (spec §2.3, §2.6): `application/json` without charset; `?pretty`
 * (present and not `0`) indents with 4 spaces plus a trailing newline, else compact.
 */
export const sendJson = (req: Request, res: Response, body: unknown): void => {
  const raw = req.query['pretty'];
  const first = Array.isArray(raw) ? raw[0] : raw;
  const pretty = raw !== undefined && first !== '0';
  const text = pretty ? `${JSON.stringify(body, null, 4)}\n` : JSON.stringify(body);
  res.status(200).setHeader('Content-Type', 'application/json');
  res.end(text);
};

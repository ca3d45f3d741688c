import type { IncomingMessage, ServerResponse } from 'node:http';
import { targetOf } from './target';

/**
 * `?pretty`: present with an empty value or anything but "0" → 4-space indent plus a trailing
 * newline; absent or `0` → compact, no trailing newline (Nomad's rule).
 */
export const wantsPretty = (req: IncomingMessage): boolean => {
  const v = targetOf(req).query['pretty'];
  if (v === undefined) return false;
  const first = Array.isArray(v) ? v[0] : v;
  return first !== '0';
};

/** The one JSON responder: 200, `application/json` without charset, as Nomad sends it. */
export const sendJson = (req: IncomingMessage, res: ServerResponse, body: unknown): void => {
  const text = wantsPretty(req) ? `${JSON.stringify(body, null, 4)}\n` : JSON.stringify(body);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
};

/** 200 with an empty body and no Content-Type (Nomad's GC endpoints and ACL writes). */
export const sendEmpty = (res: ServerResponse): void => {
  res.statusCode = 200;
  res.end();
};

import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../errors';

/**
 * How a request's body is framed, decided once from its headers. Node's parser already refuses
 * Content-Length together with Transfer-Encoding, repeated or non-numeric Content-Length,
 * obs-folded headers, bare LF and bad chunk sizes; it still accepts a few framings that another
 * hop could read differently (`Transfer-Encoding: gzip, chunked`, chunked on HTTP/1.0). Those are
 * refused here, so that what fleetgate reads as a body is exactly what any HTTP/1.1 hop reads.
 */
export type Framing =
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  | { kind: 'chunked' }
  | { kind: 'malformed'; reason: string };

const count = (raw: readonly string[], name: string): number => {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) n++;
  return n;
};

export const framingOf = (req: Pick<IncomingMessage, 'headers' | 'rawHeaders' | 'httpVersion'>): Framing => {
  const te = req.headers['transfer-encoding'];
  const cl = req.headers['content-length'];
  if (te !== undefined) {
    if (cl !== undefined) return { kind: 'malformed', reason: 'both Content-Length and Transfer-Encoding' };
    if (count(req.rawHeaders, 'transfer-encoding') !== 1)
      return { kind: 'malformed', reason: 'more than one Transfer-Encoding header' };
    if (te.trim().toLowerCase() !== 'chunked')
      return { kind: 'malformed', reason: 'Transfer-Encoding other than exactly "chunked"' };
    if (req.httpVersion !== '1.1') return { kind: 'malformed', reason: 'Transfer-Encoding on HTTP/1.0' };
    return { kind: 'chunked' };
  }
  if (cl === undefined) return { kind: 'none' };
  if (count(req.rawHeaders, 'content-length') !== 1 || !/^\d{1,15}$/.test(cl))
    return { kind: 'malformed', reason: 'Content-Length is not one decimal number' };
  const length = Number(cl);
  return length === 0 ? { kind: 'none' } : { kind: 'length', length };
};

/** The request carries a body (any length > 0, or chunked whatever it turns out to hold). */
export const hasBody = (f: Framing): boolean => f.kind === 'length' || f.kind === 'chunked';

/**
 * The one rule for bodies, applied where a request is about to be served or forwarded: a row
 * that takes no body refuses a request carrying one (400, connection closed, body never read),
 * and a malformed framing is refused everywhere. Returns the framing for rows that take a body.
 */
export const checkBodyAllowed = (
  req: IncomingMessage,
  res: ServerResponse,
  route: { readonly takesBody?: true },
): Framing => {
  const f = framingOf(req);
  if (f.kind === 'malformed' || (!route.takesBody && hasBody(f))) {
    res.setHeader('Connection', 'close');
    throw f.kind === 'malformed' ? errors.malformedFraming(f.reason) : errors.bodyNotAllowed();
  }
  return f;
};

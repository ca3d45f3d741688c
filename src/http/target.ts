import type { IncomingMessage } from 'node:http';
import querystring from 'node:querystring';
import url from 'node:url';

/** A request's path and flat query, parsed once and shared by everything that reads them. */
export interface Target {
  /** The path without the query (still percent-encoded). */
  readonly path: string;
  /** `querystring.parse` of the query: repeated names give arrays. */
  readonly query: Readonly<Record<string, string | string[] | undefined>>;
}

const PARSED = Symbol('fleetgate.target');
type Parsed = IncomingMessage & { [PARSED]?: Target };

/**
 * Characters after which the plain split is not enough (whitespace, a fragment): those targets
 * go through `url.parse`, which is what Express's own request parsing does, so the gateway's
 * Express routes and the kernel see the same path and query for any request.
 */
const needsFullParse = (s: string): boolean => {
  if (s.charCodeAt(0) !== 0x2f) return true;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x23 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d) return true;
    if (c === 0xa0 || c === 0xfeff) return true;
  }
  return false;
};

/** The request's target, parsed on first use (no framework needed: the agent runs on node:http). */
export const targetOf = (req: IncomingMessage): Target => {
  const r = req as Parsed;
  const cached = r[PARSED];
  if (cached) return cached;
  const raw = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  let path: string;
  let search: string;
  if (needsFullParse(raw)) {
    const u = url.parse(raw);
    path = u.pathname ?? '/';
    search = u.query ?? '';
  } else {
    const q = raw.indexOf('?');
    path = q === -1 ? raw : raw.slice(0, q);
    search = q === -1 ? '' : raw.slice(q + 1);
  }
  const t: Target = { path, query: search === '' ? {} : querystring.parse(search) };
  r[PARSED] = t;
  return t;
};

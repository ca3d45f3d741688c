import { errors, type HttpError } from '../errors';
import type { RouteDef, RouteId, RowMethod } from '../wire';

/**
 * Exact routing over the route table: paths compare case-sensitively and a trailing slash makes
 * another path, as Nomad's mux does (Express would fold case and ignore the slash). A path a
 * row owns but whose method no row takes is 405 `Invalid method`; HEAD goes wherever GET does.
 */
export interface Matched {
  readonly id: RouteId;
  readonly row: RouteDef;
  /** The raw (still percent-encoded) allocation id, '' for node rows. */
  readonly rawAllocId: string;
}

interface Pattern {
  /** Literal text before the id (or the whole path for fixed rows). */
  readonly prefix: string;
  /** Literal text after a `:alloc_id` segment. */
  readonly suffix: string;
  readonly kind: 'fixed' | 'segment' | 'rest';
  /** Rows on this path, in table order. */
  readonly rows: Array<{ id: RouteId; row: RouteDef }>;
}

const compile = (path: string): Omit<Pattern, 'rows'> => {
  const seg = path.indexOf(':alloc_id');
  if (seg >= 0) return { kind: 'segment', prefix: path.slice(0, seg), suffix: path.slice(seg + 9) };
  const rest = path.indexOf('*alloc_id');
  if (rest >= 0) return { kind: 'rest', prefix: path.slice(0, rest), suffix: '' };
  return { kind: 'fixed', prefix: path, suffix: '' };
};

const accepts = (row: RouteDef, method: string): boolean =>
  row.methods === 'ANY' ||
  row.methods.includes(method as RowMethod) ||
  (method === 'HEAD' && row.methods.includes('GET'));

export interface Matcher {
  /**
   * The row for this path and method; `undefined` when no row owns the path (the app's other
   * routes and its 404 follow). Throws 405 for a known path with another method, and the
   * table's fixed error for an unmatched path under a prefix Nomad dispatches itself.
   */
  match(method: string, path: string): Matched | undefined;
}

export const createMatcher = (
  routes: Readonly<Record<RouteId, RouteDef>>,
  unknownUnder: ReadonlyArray<{ readonly prefix: string; readonly error: () => HttpError }>,
): Matcher => {
  const fixed = new Map<string, Pattern>();
  const patterns: Pattern[] = [];
  for (const [id, row] of Object.entries(routes) as [RouteId, RouteDef][]) {
    const c = compile(row.path);
    const key = `${c.kind}:${c.prefix}|${c.suffix}`;
    const existing =
      c.kind === 'fixed'
        ? fixed.get(c.prefix)
        : patterns.find((p) => `${p.kind}:${p.prefix}|${p.suffix}` === key);
    if (existing) {
      existing.rows.push({ id, row });
      continue;
    }
    const p: Pattern = { ...c, rows: [{ id, row }] };
    if (c.kind === 'fixed') fixed.set(c.prefix, p);
    else patterns.push(p);
  }

  const idOf = (p: Pattern, path: string): string | undefined => {
    if (!path.startsWith(p.prefix)) return undefined;
    if (p.kind === 'rest') return path.slice(p.prefix.length);
    if (!path.endsWith(p.suffix)) return undefined;
    const id = path.slice(p.prefix.length, path.length - p.suffix.length);
    return id !== '' && !id.includes('/') && path.length >= p.prefix.length + p.suffix.length
      ? id
      : undefined;
  };

  const pick = (p: Pattern, method: string, rawAllocId: string): Matched => {
    for (const r of p.rows) if (accepts(r.row, method)) return { id: r.id, row: r.row, rawAllocId };
    throw errors.invalidMethod();
  };

  return {
    match(method, path) {
      const f = fixed.get(path);
      if (f) return pick(f, method, '');
      for (const p of patterns) {
        const id = idOf(p, path);
        if (id !== undefined) return pick(p, method, id);
      }
      for (const u of unknownUnder) if (path.startsWith(u.prefix)) throw u.error();
      return undefined;
    },
  };
};

/** Decode the allocation id taken from the path (`%2F` is a slash of the id, as in Go's decoded path). */
export const decodeAllocId = (raw: string): string => {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw errors.badUrlEscape();
  }
};

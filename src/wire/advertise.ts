/**
 * An agent's advertised address (`AdvertiseURL`) is an origin and nothing more: `http` or
 * `https`, a host, an optional port. The gateway appends the request path to it, so a path,
 * query, fragment or userinfo would let a node steer the gateway's requests to another service
 * on that host (server-side request forgery) or smuggle credentials. The rule is checked where a
 * node registers and again where the gateway dials, so a record that reached the registry some
 * other way is still refused.
 *
 * Returns the normalised origin (`http://host:port`), or undefined when `raw` is not one.
 */
export const advertiseOrigin = (raw: string): string | undefined => {
  // `?` / `#` with nothing after them parse to an empty search/hash: refuse the characters.
  if (typeof raw !== 'string' || /[?#@\\\s]/.test(raw)) return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  if (!u.hostname || u.username || u.password || u.search || u.hash) return undefined;
  if (u.pathname !== '/') return undefined;
  return u.origin;
};

/** The text of the error when an advertised address is not an origin. */
export const ADVERTISE_RULE = 'must be an origin: http(s)://host[:port], no path, query or credentials';

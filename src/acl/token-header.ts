import type { IncomingHttpHeaders } from 'node:http';

/**
 * The request's token (docs/wire.md, "Tokens"): `X-Nomad-Token` (trimmed) wins; else `Authorization: Bearer`
 * (scheme case-insensitive, first word of the value). Anything else is no token (anonymous).
 */
export const tokenFromHeaders = (headers: IncomingHttpHeaders): string | undefined => {
  const x = headers['x-nomad-token'];
  const xv = (Array.isArray(x) ? x[0] : x)?.trim();
  if (xv) return xv;
  const auth = headers.authorization;
  if (!auth) return undefined;
  const parts = auth.split(' ');
  if (parts.length < 2 || parts[0]!.toLowerCase() !== 'bearer') return undefined;
  const value = parts.slice(1).join(' ').trim().split(' ')[0];
  return value || undefined;
};

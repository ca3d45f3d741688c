import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { TLSSocket } from 'node:tls';

/**
 * Headers that describe one hop, not the request: framing (the forwarder sets its own), the
 * connection's own options, and `Expect` (the gateway answers 100-continue itself).
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'content-length',
  'host',
]);

/** Hop-by-hop names plus whatever the `Connection` header lists as such. */
const dropped = (headers: IncomingHttpHeaders): Set<string> => {
  const conn = headers.connection;
  if (!conn) return HOP_BY_HOP;
  const extra = conn
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  return new Set([...HOP_BY_HOP, ...extra]);
};

const copyEndToEnd = (headers: IncomingHttpHeaders): OutgoingHttpHeaders => {
  const drop = dropped(headers);
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !drop.has(k)) out[k] = v;
  return out;
};

/**
 * What goes upstream: the client's end-to-end headers, the agent's host, `X-Forwarded-*` for
 * the agent's log, and exactly one framing header when there is a body (`Content-Length`).
 * With a `credential` (a node assertion, or `null` for none), the caller's token headers stay at
 * the gateway and the credential goes in `X-Nomad-Token` instead.
 */
export const upstreamHeaders = (
  req: IncomingMessage,
  host: string,
  body?: Buffer,
  credential?: string | null,
): OutgoingHttpHeaders => {
  const out = copyEndToEnd(req.headers);
  if (credential !== undefined) {
    delete out['x-nomad-token'];
    delete out['authorization'];
    if (credential !== null) out['x-nomad-token'] = credential;
  }
  out['host'] = host;
  const prior = req.headers['x-forwarded-for'];
  const addr = req.socket.remoteAddress ?? '';
  out['x-forwarded-for'] = prior ? `${String(prior)}, ${addr}` : addr;
  out['x-forwarded-proto'] = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  if (req.headers.host) out['x-forwarded-host'] = req.headers.host;
  if (body) out['content-length'] = body.length;
  return out;
};

/**
 * What goes back to the client: the agent's end-to-end headers; `Content-Length` only when it is
 * the response's one framing (Node re-frames everything else for the client's connection).
 */
export const downstreamHeaders = (res: IncomingMessage): OutgoingHttpHeaders => {
  const out = copyEndToEnd(res.headers);
  const cl = res.headers['content-length'];
  if (cl !== undefined && res.headers['transfer-encoding'] === undefined) out['content-length'] = cl;
  return out;
};

/** The agent's response framing is something a careful client would not trust on a reused socket. */
export const suspectResponseFraming = (res: IncomingMessage): boolean => {
  const te = res.headers['transfer-encoding'];
  if (te === undefined) return false;
  return res.headers['content-length'] !== undefined || te.trim().toLowerCase() !== 'chunked';
};

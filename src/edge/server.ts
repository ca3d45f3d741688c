import http from 'node:http';
import https from 'node:https';
import { DEFAULTS } from '../config/defaults';
import { errors } from '../errors';
import { framingOf } from './framing';

export interface EdgeLimits {
  /** The request line and headers must arrive within this. */
  headersTimeoutMs?: number;
  /** The whole request, body included, must arrive within this (responses are not limited). */
  requestTimeoutMs?: number;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/**
 * Answers with the message of an edge refusal and closes the connection: after a framing
 * anomaly nothing more on that socket can be trusted to start where we think it starts.
 */
export const refuseAndClose = (res: http.ServerResponse, status: number, message: string): void => {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(message),
    Connection: 'close',
  });
  res.end(message);
};

/**
 * The HTTP server both roles listen with (gateway and agent share one edge):
 * - every request's framing and path escapes are checked before any routing (framing.ts); a malformed one is
 *   answered 400 and the connection closed;
 * - headers and the whole request must arrive in bounded times (Node answers 408 and closes);
 *   a response may last as long as it likes (log follows), since the limit stops counting once
 *   the request is fully read;
 * - `Expect: 100-continue` is not answered by Node up front: the body reader sends 100 when a
 *   handler actually wants the body (after authentication); a request refused before that is
 *   answered without inviting the body, and its connection is closed.
 */
export function createEdgeServer(handler: Handler, limits?: EdgeLimits): http.Server;
/** With `tls`, the same edge over HTTPS (src/tls/server.ts adds reload and handshake errors). */
export function createEdgeServer(
  handler: Handler,
  limits: EdgeLimits,
  tls: https.ServerOptions,
): https.Server;
export function createEdgeServer(
  handler: Handler,
  limits: EdgeLimits = {},
  tls?: https.ServerOptions,
): http.Server | https.Server {
  const headersTimeout = limits.headersTimeoutMs ?? DEFAULTS.headersTimeoutMs;
  const requestTimeout = Math.max(limits.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs, headersTimeout);
  const options: http.ServerOptions = {
    headersTimeout,
    requestTimeout,
    // How often Node looks for connections over those limits: a fraction of the smaller one.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
  };
  const server = tls ? https.createServer({ ...tls, ...options }) : http.createServer(options);
  server.keepAliveTimeout = DEFAULTS.keepAliveTimeoutMs;
  const guarded: Handler = (req, res) => {
    const f = framingOf(req);
    if (f.kind === 'malformed') return refuseAndClose(res, 400, errors.malformedFraming(f.reason).message);
    // A path whose percent-escapes do not decode is the client's error (400), not a router
    // failure deep inside a role (which answered 500 and logged at error level).
    if (!decodablePath(req.url ?? '/')) return refuseAndClose(res, 400, errors.badUrlEscape().message);
    handler(req, res);
  };
  server.on('request', guarded);
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    closeUnlessContinued(res);
    guarded(req, res);
  });
  return server;
}

/**
 * A client that asked to be invited to send its body and was answered without the invitation
 * may send the body anyway or not at all: the connection cannot be reused, so it is closed.
 * Every final response goes through `writeHead` (Node's implicit headers call it too).
 */
const closeUnlessContinued = (res: http.ServerResponse): void => {
  let continued = false;
  const writeContinue = res.writeContinue.bind(res);
  res.writeContinue = (cb?: () => void) => {
    continued = true;
    writeContinue(cb);
  };
  const writeHead = res.writeHead.bind(res) as (...a: unknown[]) => http.ServerResponse;
  res.writeHead = ((...args: unknown[]) => {
    if (!continued && !res.headersSent) res.setHeader('Connection', 'close');
    return writeHead(...args);
  }) as http.ServerResponse['writeHead'];
};

const decodablePath = (url: string): boolean => {
  const q = url.indexOf('?');
  try {
    decodeURIComponent(q === -1 ? url : url.slice(0, q));
    return true;
  } catch {
    return false;
  }
};

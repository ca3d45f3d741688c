import http from 'node:http';
import https from 'node:https';
import type tls from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { DEFAULTS } from '../config/defaults';
import { checkBodyAllowed } from '../edge/framing';
import type { NodeRecord, RouteDef } from '../wire';
import type { Forwarder } from './forwarder';
import { downstreamHeaders, suspectResponseFraming, upstreamHeaders } from './headers';
import { CONNECT_TIMEOUT, IDLE_TIMEOUT, mapUpstreamError } from './upstream-errors';
import { batchedPipe } from './batched-pipe';
import { GATEWAY_TLS_FIX } from '../config/tls';
import type { Logger } from '../log/logger';
import { throttledByKind } from '../log/throttle';
import { classifyTlsFailure, tlsAdvice } from '../wire/tls-failure';

export interface RemoteForwarderOptions {
  connectTimeoutMs?: number;
  /** Inactivity limit for non-streaming routes; streaming routes have none (follow can idle). */
  idleTimeoutMs?: number;
  /** Keep-alive sockets kept per agent between requests. */
  maxFreeSockets?: number;
  /**
   * For https:// agents: the CA their certificates must chain to and the gateway's own client
   * certificate (mutual TLS). Without it, system CAs and no client certificate.
   */
  tls?: tls.ConnectionOptions;
  /** Name agents' certificates must carry (e.g. client.global.fleetgate); default: the advertised host. */
  agentServerName?: string | undefined;
  /** Where a failed TLS handshake with an agent is logged (each kind once a minute, not per request). */
  logger?: Logger;
}

const isTls = (s: Socket | null | undefined): boolean =>
  (s as tls.TLSSocket | null | undefined)?.encrypted === true;

const codeError = (code: string, message: string): Error => Object.assign(new Error(message), { code });

/** The request target as the client sent it (Express may rewrite `url` inside mounted routers). */
const originalUrl = (req: IncomingMessage): string =>
  (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';

/** Responses relayed with the agent's Content-Length (headers given to writeHead are not readable back). */
const announcedLength = new WeakSet<ServerResponse>();

/**
 * Ends a response the agent broke off. A chunked body carries the reason after the bytes sent, as
 * Nomad does; a body of announced length cannot (the client would count the text as file bytes,
 * then wait for the rest on a connection it thinks is still mid-body), so its connection is cut,
 * which is how HTTP says a fixed-length body is incomplete.
 */
const endWithReason = (res: ServerResponse, text: string): void => {
  if (announcedLength.has(res)) res.destroy();
  else res.end(text);
};

/**
 * Forwards to an agent's AdvertiseURL with `node:http` and one keep-alive Agent. This replaced
 * http-proxy(-middleware), which piped a decoded request body upstream on body-less methods
 * after rewriting the framing headers, so a body on `OPTIONS /v1/client/stats` became the agent's
 * next request on a pooled socket (request smuggling). Here the forwarder decides the framing:
 * - a row without a body sends none, whatever the client framed (a body there is refused 400);
 * - a row with a body sends the bytes the gateway already read, framed by one Content-Length;
 * - hop-by-hop headers (framing, Expect, Connection and what it lists) never go upstream;
 * - an upstream socket is never reused after anything unusual: an error, a client that went
 *   away, an aborted response, or a response whose own framing is suspect.
 * Failures before the first byte answer 503 `No path to node: …`; after it, the reason is
 * appended and the response ended (upstream-errors.ts).
 */
export class RemoteForwarder implements Forwarder {
  readonly agent: http.Agent;
  private httpsAgent: https.Agent;
  private readonly logTls: ((kind: string, msg: string, fields: Record<string, unknown>) => void) | undefined;

  constructor(private readonly opts: RemoteForwarderOptions = {}) {
    this.logTls = opts.logger && throttledByKind(opts.logger);
    this.agent = new http.Agent({
      keepAlive: true,
      maxFreeSockets: opts.maxFreeSockets ?? 256,
      scheduling: 'lifo',
    });
    this.httpsAgent = this.makeHttpsAgent(opts.tls ?? {});
  }

  private makeHttpsAgent(tlsOptions: tls.ConnectionOptions): https.Agent {
    return new https.Agent({
      keepAlive: true,
      maxFreeSockets: this.opts.maxFreeSockets ?? 256,
      scheduling: 'lifo',
      ...tlsOptions,
      ...(this.opts.agentServerName ? { servername: this.opts.agentServerName } : {}),
    });
  }

  /** SIGHUP: renewed client certificate or CA for new connections; open ones finish as they are. */
  setTls(tlsOptions: tls.ConnectionOptions): void {
    // The old agent is not destroyed: that would cut open streams; its idle sockets time out.
    this.httpsAgent = this.makeHttpsAgent(tlsOptions);
  }

  /** `body`: the request body the gateway read (rows that take one); required there. */
  async forward(
    req: IncomingMessage,
    res: ServerResponse,
    node: NodeRecord,
    route: RouteDef,
    body?: Buffer,
    credential?: string | null,
  ): Promise<void> {
    checkBodyAllowed(req, res, route);
    if (route.takesBody && body === undefined) throw new Error('a body row reached the forwarder unread');
    const target = new URL(node.AdvertiseURL);
    const payload = route.takesBody ? body : undefined;
    const secure = target.protocol === 'https:';
    const up = (secure ? https : http).request({
      agent: secure ? this.httpsAgent : this.agent,
      hostname: target.hostname.replace(/^\[|\]$/g, ''),
      port: target.port || (secure ? 443 : 80),
      ...(secure && this.opts.agentServerName ? { servername: this.opts.agentServerName } : {}),
      method: req.method,
      path: originalUrl(req),
      headers: upstreamHeaders(req, target.host, payload, credential),
    });
    await new Promise<void>((resolve) => {
      res.once('close', () => {
        if (!res.writableFinished) up.destroy();
        resolve();
      });
      this.watchConnect(up);
      if (!route.streaming) {
        const idle = this.opts.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs;
        up.setTimeout(idle, () => up.destroy(codeError(IDLE_TIMEOUT, 'idle timeout')));
      }
      up.on('response', (ur) => this.relay(up, ur, res, node, route));
      up.on('error', (err) => this.fail(err, res, node));
      up.end(payload);
    });
  }

  private watchConnect(up: http.ClientRequest): void {
    const connectMs = this.opts.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
    up.once('socket', (sock: Socket) => {
      if (!sock.connecting) return;
      const t = setTimeout(() => up.destroy(codeError(CONNECT_TIMEOUT, 'connect timeout')), connectMs);
      sock.once('connect', () => clearTimeout(t));
      up.once('close', () => clearTimeout(t));
    });
  }

  private relay(
    up: http.ClientRequest,
    ur: IncomingMessage,
    res: ServerResponse,
    node: NodeRecord,
    route: RouteDef,
  ): void {
    if (res.destroyed) {
      up.destroy();
      return;
    }
    // Read to the end, then the socket is closed instead of going back to the pool.
    if (suspectResponseFraming(ur)) up.shouldKeepAlive = false;
    const headers = downstreamHeaders(ur);
    if (headers['content-length'] !== undefined) announcedLength.add(res);
    res.writeHead(ur.statusCode ?? 502, ur.statusMessage, headers);
    // Streams may stay idle for long (a followed quiet log): the client sees the status at once.
    if (route.streaming) res.flushHeaders();
    ur.once('close', () => {
      if (ur.complete || res.writableEnded || res.destroyed) return;
      // The agent died mid-response: end the client's response with the reason.
      up.destroy();
      const m = mapUpstreamError({ code: 'ECONNRESET', message: 'aborted' }, `node ${node.ID}`, true);
      if (m.kind === 'append') endWithReason(res, m.text);
    });
    // TLS on either side: batch records into whole writes (batched-pipe.ts); plain: Node's pipe.
    if (isTls(up.socket) || isTls(res.socket)) batchedPipe(ur, res);
    else ur.pipe(res);
  }

  private fail(err: Error & { code?: string }, res: ServerResponse, node: NodeRecord): void {
    if (res.writableEnded || res.destroyed) return;
    const tlsKind = classifyTlsFailure(err);
    if (tlsKind) {
      const advice = tlsAdvice(tlsKind, err, GATEWAY_TLS_FIX);
      this.logTls?.(`${tlsKind}:${node.ID}`, `TLS to node ${node.ID} failed: ${advice}`, {
        node: node.ID,
        agent: node.AdvertiseURL,
        code: err.code,
      });
      err = Object.assign(new Error(`TLS: ${advice}`), { code: err.code });
    }
    const m = mapUpstreamError(err, `node ${node.ID}`, res.headersSent);
    if (m.kind === 'append') {
      endWithReason(res, m.text);
      return;
    }
    res.writeHead(m.status, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(m.body),
    });
    res.end(m.body);
  }

  close(): void {
    this.agent.destroy();
    this.httpsAgent.destroy();
  }
}

import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createProxyMiddleware, type RequestHandler } from 'http-proxy-middleware';
import { DEFAULTS } from '../config/defaults';
import type { NodeRecord, RouteDef } from '../wire';
import type { Forwarder } from './forwarder';
import { CONNECT_TIMEOUT, IDLE_TIMEOUT, mapUpstreamError } from './upstream-errors';

export interface ForwardObserver {
  /** Response body bytes relayed from an agent. */
  bytes(n: number): void;
}

export interface RemoteForwarderOptions {
  connectTimeoutMs?: number;
  /** Inactivity limit for non-streaming routes; streaming routes have none (follow can idle). */
  idleTimeoutMs?: number;
  observer?: ForwardObserver;
  /** Keep-alive sockets kept per agent between requests. */
  maxFreeSockets?: number;
}

interface Pending {
  target: string;
  body?: Buffer;
  route: RouteDef;
}

const codeError = (code: string, message: string): Error => Object.assign(new Error(message), { code });

/**
 * Forwards to an agent's AdvertiseURL over http-proxy-middleware 3 (anchors.md §2.1): a
 * keep-alive agent, streaming both ways, status and headers passed through. HPM's default
 * plugins are ejected: its error plugin answers 504, the wire policy wants 503 `No path to node`
 * (upstream-errors.ts). http-proxy does not notice a client that went away, so `res` 'close'
 * destroys the upstream request and response (no leaked sockets or agent-side watchers).
 */
export class RemoteForwarder implements Forwarder {
  readonly agent: http.Agent;
  private readonly proxy: RequestHandler;
  private readonly pending = new WeakMap<IncomingMessage, Pending>();

  constructor(private readonly opts: RemoteForwarderOptions = {}) {
    this.agent = new http.Agent({
      keepAlive: true,
      maxFreeSockets: opts.maxFreeSockets ?? 256,
      scheduling: 'lifo',
    });
    this.proxy = createProxyMiddleware<IncomingMessage, ServerResponse>({
      router: (req) => this.pending.get(req)?.target ?? 'http://invalid.invalid',
      agent: this.agent,
      changeOrigin: true,
      xfwd: true,
      // Default plugins ejected (their error plugin answers 504); with them goes the one that
      // wires `on: {...}`, so our handlers are attached by our own plugin instead.
      ejectPlugins: true,
      plugins: [
        (proxyServer) => {
          proxyServer.on('proxyReq', (proxyReq, req, res) => this.onProxyReq(proxyReq, req, res));
          proxyServer.on('proxyRes', (proxyRes, req, res) => this.onProxyRes(proxyRes, req, res));
          proxyServer.on('error', (err, req, res) => this.onError(err, req, res as ServerResponse | Socket));
        },
      ],
    });
  }

  /** `body`: a request body the gateway already read (POST metadata), replayed upstream. */
  forward(
    req: IncomingMessage,
    res: ServerResponse,
    node: NodeRecord,
    route: RouteDef,
    body?: Buffer,
  ): Promise<void> {
    this.pending.set(req, { target: node.AdvertiseURL, route, ...(body ? { body } : {}) });
    return new Promise<void>((resolve, reject) => {
      res.once('close', () => resolve());
      this.proxy(req, res, (err?: unknown) => (err ? reject(err) : resolve())).catch(reject);
    });
  }

  private onProxyReq(proxyReq: http.ClientRequest, req: IncomingMessage, res: ServerResponse): void {
    const p = this.pending.get(req);
    if (p?.body) {
      // The gateway consumed the stream to read NodeID; http-proxy then pipes an ended req,
      // which just ends proxyReq after this write (the fixRequestBody technique).
      proxyReq.setHeader('content-length', p.body.length);
      proxyReq.write(p.body);
    }
    const connectMs = this.opts.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
    proxyReq.once('socket', (sock: Socket) => {
      if (!sock.connecting) return;
      const t = setTimeout(() => proxyReq.destroy(codeError(CONNECT_TIMEOUT, 'connect timeout')), connectMs);
      sock.once('connect', () => clearTimeout(t));
      proxyReq.once('close', () => clearTimeout(t));
    });
    if (p && !p.route.streaming) {
      const idle = this.opts.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs;
      proxyReq.setTimeout(idle, () => proxyReq.destroy(codeError(IDLE_TIMEOUT, 'idle timeout')));
    }
    res.once('close', () => {
      if (!res.writableFinished) proxyReq.destroy();
    });
  }

  private onProxyRes(proxyRes: IncomingMessage, req: IncomingMessage, res: ServerResponse): void {
    const obs = this.opts.observer;
    if (obs) proxyRes.on('data', (chunk: Buffer) => obs.bytes(chunk.length));
    res.once('close', () => {
      if (!proxyRes.complete) proxyRes.destroy();
    });
    // The agent died mid-response: pipe() would leave the client hanging; end it with the reason.
    proxyRes.once('close', () => {
      if (proxyRes.complete || res.writableEnded || res.destroyed) return;
      const target = this.pending.get(req)?.target ?? 'agent';
      const m = mapUpstreamError({ code: 'ECONNRESET', message: 'aborted' }, target, true);
      if (m.kind === 'append') res.end(m.text);
    });
  }

  private onError(err: Error, req: IncomingMessage, res: ServerResponse | Socket): void {
    if (!('setHeader' in res)) return;
    if (res.writableEnded || res.destroyed) return;
    const target = this.pending.get(req)?.target ?? 'agent';
    const m = mapUpstreamError(err as Error & { code?: string }, target, res.headersSent);
    if (m.kind === 'append') {
      res.end(m.text);
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
  }
}

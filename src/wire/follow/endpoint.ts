import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import type tls from 'node:tls';
import { CLI_TLS_FIX, describeTlsFailure, type TlsFixNames } from '../tls-failure';
import { openBulk, type BulkBody } from './bulk';
import { ApiError, NetworkError, TlsError, type Via } from './errors';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestSpec {
  method?: string;
  /** Path starting with `/`, without the query string. */
  path: string;
  query?: Query;
  headers?: Record<string, string>;
  body?: string | Buffer | Readable;
  /** TCP connect deadline; Nomad's api client gives nodes 1 s before falling back. */
  connectTimeoutMs?: number;
  signal?: AbortSignal;
}

export const buildPath = (path: string, query: Query | undefined): string => {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
};

/** `host:port` or a URL → a base URL without a trailing slash. */
export const normalizeBase = (addr: string): string => {
  const withScheme = /^[a-z]+:\/\//i.test(addr) ? addr : `http://${addr}`;
  return withScheme.replace(/\/+$/, '');
};

/**
 * One HTTP endpoint (the gateway or a node agent). Responses are returned as streams, never
 * buffered, so `fs cat` of a large file and follow streams cost constant memory.
 */
export class Endpoint {
  readonly base: string;
  constructor(
    base: string,
    readonly via: Via,
    private readonly token: string | undefined,
    /** CA, client certificate, server name: used for https:// bases. */
    private readonly tls: tls.ConnectionOptions = {},
    /** The flags a TLS failure's message tells to fix: the CLI's, or the gateway's when it dials agents. */
    private readonly tlsFix: TlsFixNames = CLI_TLS_FIX,
  ) {
    this.base = normalizeBase(base);
  }

  /** Sends the request; resolves with the response once its status is 2xx, else throws ApiError. */
  async open(spec: RequestSpec): Promise<http.IncomingMessage> {
    const res = await this.send(spec);
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    const body = await readAll(res);
    throw new ApiError(status, body.toString('utf8'), this.base + spec.path, this.via);
  }

  async json<T>(spec: RequestSpec): Promise<T> {
    const text = (await readAll(await this.open(spec))).toString('utf8');
    return (text.trim() === '' ? null : JSON.parse(text)) as T;
  }

  async text(spec: RequestSpec): Promise<string> {
    return (await readAll(await this.open(spec))).toString('utf8');
  }

  /** Any status: for callers that show the raw answer (`operator api`). Throws NetworkError or TlsError. */
  send(spec: RequestSpec): Promise<http.IncomingMessage> {
    const { url, headers } = this.target(spec);
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, {
        method: spec.method ?? 'GET',
        headers,
        signal: spec.signal,
        ...(mod === https ? this.tls : {}),
      });
      let connectTimer: NodeJS.Timeout | undefined;
      req.on('socket', (sock) => {
        // A reused keep-alive socket is already connected; only a fresh one gets the deadline.
        if (!spec.connectTimeoutMs || !sock.connecting) return;
        connectTimer = setTimeout(() => {
          req.destroy(
            Object.assign(new Error(`connect timeout after ${spec.connectTimeoutMs} ms`), {
              code: 'ETIMEDOUT',
            }),
          );
        }, spec.connectTimeoutMs);
        sock.once('connect', () => clearTimeout(connectTimer));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (connectTimer) clearTimeout(connectTimer);
        reject(err.name === 'AbortError' ? err : this.failure(err));
      });
      req.on('response', (res) => {
        if (connectTimer) clearTimeout(connectTimer);
        resolve(res);
      });
      const body = spec.body;
      if (body === undefined) req.end();
      else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
      else body.pipe(req);
    });
  }

  /**
   * A GET whose 2xx body the caller copies to a file or stdout (`alloc fs` of a large file): same
   * URL, token, TLS options and errors as `open`, read through a reused buffer (see bulk.ts).
   */
  download(spec: RequestSpec): Promise<BulkBody> {
    if ((spec.method ?? 'GET') !== 'GET' || spec.body !== undefined)
      return Promise.reject(new Error('download is for GET requests without a body'));
    const { url, headers } = this.target(spec);
    return openBulk(
      {
        url,
        headers,
        tls: url.protocol === 'https:' ? this.tls : {},
        ...(spec.connectTimeoutMs ? { connectTimeoutMs: spec.connectTimeoutMs } : {}),
        ...(spec.signal ? { signal: spec.signal } : {}),
      },
      {
        beforeAnswer: (err) => this.failure(err),
        status: (status, body) => new ApiError(status, body, this.base + spec.path, this.via),
      },
    );
  }

  private target(spec: RequestSpec): { url: URL; headers: Record<string, string> } {
    const url = new URL(buildPath(spec.path, spec.query), this.base + '/');
    const headers: Record<string, string> = { ...spec.headers };
    if (this.token && !hasHeader(headers, 'x-nomad-token')) headers['X-Nomad-Token'] = this.token;
    return { url, headers };
  }

  /** A request that got no HTTP answer: a TLS failure says what to fix, anything else is a NetworkError. */
  private failure(err: NodeJS.ErrnoException): Error {
    const advice = describeTlsFailure(err, this.tlsFix);
    if (advice) return new TlsError(this.base, err.code ?? 'TLS', advice, this.via);
    return new NetworkError(this.base, err.code ?? 'ERR', err.message, this.via);
  }
}

const hasHeader = (h: Record<string, string>, name: string): boolean =>
  Object.keys(h).some((k) => k.toLowerCase() === name);

/** Reads a (small) response body completely: only for JSON and error replies. */
export const readAll = async (res: Readable): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

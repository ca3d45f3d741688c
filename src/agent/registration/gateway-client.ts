import http from 'node:http';
import https from 'node:https';

export interface GatewayClientOptions {
  /** Gateway base URLs (origins); requests go to one and move to the next when it fails. */
  urls: readonly string[];
  /** Per-request deadline unless the call gives its own. */
  timeoutMs?: number;
  /** Extra TLS settings for https gateways (CA, client certificate): the one place they go. */
  tls?: https.AgentOptions;
}

export interface GatewayResponse {
  status: number;
  text: string;
  /** The gateway that answered. */
  url: string;
}

export interface GatewayRequest {
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Statuses that say "this gateway cannot help right now": try the next one. */
const UNAVAILABLE = new Set([502, 503, 504]);

/**
 * The agent's HTTP client to the gateways: keep-alive, a deadline per request, and failover —
 * it sticks to the gateway that last answered and moves on to the next one in the list on a
 * network error or a 502/503/504. Every agent → gateway call goes through here.
 */
export class GatewayClient {
  private current = 0;
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  private readonly httpsAgent: https.Agent;

  constructor(private readonly o: GatewayClientOptions) {
    if (o.urls.length === 0) throw new Error('no gateway address given');
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 4, ...o.tls });
  }

  get urls(): readonly string[] {
    return this.o.urls;
  }

  async request(method: string, path: string, r: GatewayRequest = {}): Promise<GatewayResponse> {
    let lastErr: unknown;
    for (let i = 0; i < this.o.urls.length; i++) {
      const idx = (this.current + i) % this.o.urls.length;
      const base = this.o.urls[idx]!;
      try {
        const res = await this.once(base, method, path, r);
        if (UNAVAILABLE.has(res.status) && i < this.o.urls.length - 1) {
          lastErr = new Error(`${base} answered ${res.status}: ${res.text.slice(0, 200)}`);
          continue;
        }
        this.current = idx;
        return res;
      } catch (e) {
        if (r.signal?.aborted) throw e;
        lastErr = e;
      }
    }
    this.current = (this.current + 1) % this.o.urls.length;
    throw lastErr instanceof Error ? lastErr : new Error(String(lastErr));
  }

  private once(base: string, method: string, path: string, r: GatewayRequest): Promise<GatewayResponse> {
    const url = new URL(path, base);
    const body = r.body === undefined ? undefined : Buffer.from(JSON.stringify(r.body));
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        url,
        {
          method,
          agent: url.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
          headers: {
            ...(body ? { 'content-type': 'application/json', 'content-length': body.length } : {}),
            ...r.headers,
          },
          ...(r.signal ? { signal: r.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), url: base }),
          );
          res.on('error', reject);
        },
      );
      req.setTimeout(r.timeoutMs ?? this.o.timeoutMs ?? 5000, () =>
        req.destroy(new Error(`${base}: no answer within ${r.timeoutMs ?? this.o.timeoutMs ?? 5000} ms`)),
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

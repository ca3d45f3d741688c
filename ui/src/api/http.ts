import type { RouteCapability } from '../../../src/wire/capabilities';

/** What a call needs, so a 403 can say which capability was missing (the gateway says only "Permission denied"). */
export interface Need {
  readonly capability: RouteCapability;
  /** For namespace capabilities: the allocation's namespace. */
  readonly namespace?: string;
}

/** A failed call: the gateway's status and its plain-text message (Nomad's error format). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly method: string,
    readonly path: string,
    readonly need?: Need,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const TOKEN_KEY = 'fleetgate.token';

/**
 * The token lives in sessionStorage: it survives a reload and is gone when the tab closes, and
 * it is only ever sent as the X-Nomad-Token header (never in a URL, where logs would keep it).
 */
export const tokenStore = {
  get: (): string => sessionStorage.getItem(TOKEN_KEY) ?? '',
  set: (t: string): void => sessionStorage.setItem(TOKEN_KEY, t),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

export const authHeaders = (token = tokenStore.get()): Record<string, string> =>
  token ? { 'X-Nomad-Token': token } : {};

export interface CallOptions {
  method?: string;
  body?: string;
  need?: Need;
  signal?: AbortSignal;
  token?: string;
}

/** A same-origin call to the gateway; any non-2xx becomes an ApiError carrying what was needed. */
export const call = async (path: string, opts: CallOptions = {}): Promise<Response> => {
  const method = opts.method ?? 'GET';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: { ...authHeaders(opts.token), ...(opts.body ? { 'Content-Type': 'application/json' } : {}) },
      ...(opts.body !== undefined ? { body: opts.body } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      cache: 'no-store',
    });
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    throw new ApiError(0, `cannot reach the gateway (${(err as Error).message})`, method, path, opts.need);
  }
  if (!res.ok) {
    const text = (await res.text().catch(() => '')).trim();
    throw new ApiError(res.status, text || res.statusText, method, path, opts.need);
  }
  return res;
};

export const getJson = async <T>(path: string, opts: CallOptions = {}): Promise<T> =>
  (await call(path, opts)).json() as Promise<T>;

export const isAbort = (err: unknown): boolean => (err as Error | undefined)?.name === 'AbortError';

export const enc = encodeURIComponent;

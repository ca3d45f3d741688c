import { useEffect, useState } from 'preact/hooks';
import { call, isAbort, type Need } from './http';
import { sleep } from '../lib/sleep';

export interface Watched<T> {
  data?: T;
  error?: unknown;
  /** Set once the first answer (or error) arrived. */
  loaded: boolean;
}

/**
 * Keeps `path` fresh. When the gateway answers with `X-Nomad-Index`, the next request is a
 * blocking query (`index=`, `wait=`) that returns as soon as something changes, or after
 * `waitS` at the latest (a heartbeat lapsing changes a node's status without any write, so the
 * wait is kept short); otherwise it polls every `intervalMs`, and not at all while the tab is
 * hidden. Errors back off up to 30 s.
 */
export const useWatch = <T>(
  path: string | undefined,
  opts: { intervalMs?: number; need?: Need; waitS?: number } = {},
): Watched<T> & { refresh: () => void } => {
  const [state, setState] = useState<Watched<T>>({ loaded: false });
  const [tick, setTick] = useState(0);
  const interval = opts.intervalMs ?? 2000;
  useEffect(() => {
    if (!path) return;
    const ctl = new AbortController();
    setState({ loaded: false });
    void (async () => {
      let index: string | undefined;
      let backoff = interval;
      while (!ctl.signal.aborted) {
        if (document.hidden) {
          await sleep(500, ctl.signal);
          continue;
        }
        const sep = path.includes('?') ? '&' : '?';
        const url = index ? `${path}${sep}index=${index}&wait=${opts.waitS ?? 5}s` : path;
        try {
          const res = await call(url, { signal: ctl.signal, ...(opts.need ? { need: opts.need } : {}) });
          const got = res.headers.get('X-Nomad-Index');
          const data = (await res.json()) as T;
          if (ctl.signal.aborted) return;
          setState({ data, loaded: true });
          backoff = interval;
          if (got && got !== '0') index = got;
          else await sleep(interval, ctl.signal);
        } catch (err) {
          if (isAbort(err) || ctl.signal.aborted) return;
          setState((s) => ({ ...s, error: err, loaded: true }));
          index = undefined;
          await sleep(backoff, ctl.signal);
          backoff = Math.min(backoff * 2, 30_000);
        }
      }
    })();
    return () => ctl.abort();
  }, [path, tick]);
  return { ...state, refresh: () => setTick((n) => n + 1) };
};

/** A one-shot load that re-runs when `path` changes. */
export const useLoad = <T>(path: string | undefined, need?: Need): Watched<T> & { refresh: () => void } => {
  const [state, setState] = useState<Watched<T>>({ loaded: false });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!path) return;
    const ctl = new AbortController();
    setState({ loaded: false });
    call(path, { signal: ctl.signal, ...(need ? { need } : {}) })
      .then((r) => r.json() as Promise<T>)
      .then(
        (data) => !ctl.signal.aborted && setState({ data, loaded: true }),
        (error: unknown) => !ctl.signal.aborted && !isAbort(error) && setState({ error, loaded: true }),
      );
    return () => ctl.abort();
  }, [path, tick]);
  return { ...state, refresh: () => setTick((n) => n + 1) };
};

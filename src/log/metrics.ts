import { Counter, Gauge, Histogram, Registry as PromRegistry, collectDefaultMetrics } from 'prom-client';

export interface MetricsOptions {
  /** `fleetgate_gateway_…` or `fleetgate_agent_…`: both roles use this factory. */
  role: 'gateway' | 'agent';
  /** Process metrics (RSS, fds, event-loop lag); off in tests that build many instances. */
  defaultMetrics?: boolean;
}

/**
 * Prometheus metrics for one process, on its own prom-client registry (no global state, so
 * tests can build several). Labels are bounded: route ids, status codes, cache kinds, registry
 * operations — never allocation or node ids.
 */
export const createMetrics = (opts: MetricsOptions) => {
  const register = new PromRegistry();
  const p = `fleetgate_${opts.role}_`;
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register, prefix: p });
  const requests = new Counter({
    name: `${p}requests_total`,
    help: 'Requests by route id and status',
    labelNames: ['route', 'status'],
    registers: [register],
  });
  const latency = new Histogram({
    name: `${p}request_duration_seconds`,
    help: 'Time to response end (streams: their whole life)',
    labelNames: ['route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
    registers: [register],
  });
  const openStreams = new Gauge({
    name: `${p}open_streams`,
    help: 'Streaming responses in progress',
    registers: [register],
  });
  const bytes = new Counter({
    name: `${p}bytes_streamed_total`,
    help: 'Response body bytes relayed',
    registers: [register],
  });
  const cache = new Counter({
    name: `${p}cache_lookups_total`,
    help: 'Registry cache lookups',
    labelNames: ['kind', 'result'],
    registers: [register],
  });
  const registryErrors = new Counter({
    name: `${p}registry_errors_total`,
    help: 'Failed registry operations',
    labelNames: ['op'],
    registers: [register],
  });

  const quotaStreams = new Gauge({
    name: `${p}quota_streams`,
    help: 'Streams holding a quota slot now (gateway: streaming requests; agent: followers)',
    registers: [register],
  });
  const quotaRejections = new Counter({
    name: `${p}quota_rejections_total`,
    help: 'Streams refused with 429, by the limit that refused them',
    labelNames: ['limit'],
    registers: [register],
  });
  const quotaLimits = new Gauge({
    name: `${p}quota_limit`,
    help: 'Configured stream limits (0 = unlimited)',
    labelNames: ['limit'],
    registers: [register],
  });

  /** Route ids and status codes are bounded sets, so this map is too. */
  const perRoute = new Map<
    string,
    { latency: Histogram.Internal<'route'>; byStatus: Map<number, Counter.Internal> }
  >();

  return {
    register,
    /** Feeds the quota gauges: `held` after each change, `rejected` per refusal. */
    quota: {
      held: (n: number) => quotaStreams.set(n),
      rejected: (limit: string) => quotaRejections.inc({ limit }),
      limit: (name: string, max: number) => quotaLimits.set({ limit: name }, max),
    },
    /**
     * Call when a request starts; the returned function records its end. The labelled series of
     * a route (and of each status it answered) are looked up once and kept, so a request costs
     * two increments and one observation, not label hashing.
     */
    startRequest(route: string, streaming: boolean): (status: number) => void {
      let series = perRoute.get(route);
      if (!series) perRoute.set(route, (series = { latency: latency.labels(route), byStatus: new Map() }));
      const s = series;
      const t0 = performance.now();
      if (streaming) openStreams.inc();
      return (status) => {
        s.latency.observe((performance.now() - t0) / 1000);
        let count = s.byStatus.get(status);
        if (!count) s.byStatus.set(status, (count = requests.labels(route, String(status))));
        count.inc();
        if (streaming) openStreams.dec();
      };
    },
    bytes: (n: number) => bytes.inc(n),
    cacheHit: (kind: string) => cache.inc({ kind, result: 'hit' }),
    cacheMiss: (kind: string) => cache.inc({ kind, result: 'miss' }),
    registryError: (op: string) => registryErrors.inc({ op }),
    /** Prometheus text exposition. */
    text: () => register.metrics(),
    contentType: register.contentType,
  };
};
export type Metrics = ReturnType<typeof createMetrics>;

import type tls from 'node:tls';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { redisTarget } from '../config/redis-target';

/** A connection to the registry's Redis: one server (maybe found through Sentinel) or a cluster. */
export type RedisClient = Redis | Cluster;

export interface RedisConnectOptions {
  /** `redis://`, `redis-sentinel://` or `redis-cluster://` (and their TLS forms), see config/redis-target.ts. */
  url: string;
  /** Per-command deadline: a request waits at most this long on a sick Redis. */
  commandTimeoutMs?: number;
  /** CA, client certificate: used with the `rediss…` URL forms only. */
  tls?: tls.ConnectionOptions;
}

/** TLS for the URL's scheme: the server, the sentinels and master, or every cluster node. */
const tlsOptions = (o: RedisConnectOptions): RedisOptions => {
  const t = o.tls ?? {};
  if (o.url.startsWith('rediss://') || o.url.startsWith('rediss-cluster://')) return { tls: t };
  if (o.url.startsWith('rediss-sentinel://'))
    return { tls: t, sentinelTLS: t, enableTLSForSentinelMode: true };
  return {};
};

/**
 * Bounded, fail-fast client settings: no offline queue, one retry, a command
 * timeout, and reconnects with capped exponential backoff forever, so the process heals by
 * itself when Redis returns.
 */
const nodeOptions = (o: RedisConnectOptions, offlineQueue: boolean): RedisOptions => ({
  maxRetriesPerRequest: 1,
  enableOfflineQueue: offlineQueue,
  commandTimeout: o.commandTimeoutMs ?? 1000,
  connectTimeout: 2000,
  retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
  lazyConnect: true,
});

/**
 * The cluster client keeps the same bounds per node. A command that meets a failover (MOVED,
 * CLUSTERDOWN, TRYAGAIN, a closed master) is retried after a short delay on the refreshed slot
 * map, but never past the command timeout, so a request waits a bounded time and the client
 * follows the promoted replica by itself.
 */
const clusterOptions = (o: RedisConnectOptions, subscriber: boolean, base: RedisOptions): ClusterOptions => ({
  redisOptions: {
    ...base,
    ...tlsOptions(o),
    ...nodeOptions(o, subscriber),
    ...(subscriber ? { maxRetriesPerRequest: null, commandTimeout: undefined } : {}),
  },
  enableOfflineQueue: subscriber,
  lazyConnect: true,
  retryDelayOnFailover: 100,
  retryDelayOnClusterDown: 100,
  retryDelayOnTryAgain: 100,
  retryDelayOnMoved: 0,
  maxRedirections: 16,
  slotsRefreshTimeout: 1000,
  slotsRefreshInterval: 2000,
  clusterRetryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
  shardedSubscribers: subscriber,
});

export interface RedisConnections {
  client: RedisClient;
  /** The connection(s) that receive change messages. */
  sub: RedisClient;
  /** True on a cluster: publish with SPUBLISH, subscribe with SSUBSCRIBE, one slot per script. */
  cluster: boolean;
}

/** Both connections, not connected yet (lazy): the caller attaches handlers first. */
export const createConnections = (o: RedisConnectOptions): RedisConnections => {
  const target = redisTarget(o.url);
  if (target.cluster) {
    return {
      client: new Cluster(target.cluster, clusterOptions(o, false, target.options)),
      sub: new Cluster(target.cluster, clusterOptions(o, true, target.options)),
      cluster: true,
    };
  }
  const make = (x: RedisOptions) =>
    target.url
      ? new Redis(target.url, { ...target.options, ...tlsOptions(o), ...x })
      : new Redis({ ...target.options, ...tlsOptions(o), ...x });
  return {
    client: make(nodeOptions(o, false)),
    // The subscriber queues SUBSCRIBE until connected; ioredis re-subscribes after reconnects.
    sub: make({ ...nodeOptions(o, true), maxRetriesPerRequest: null, commandTimeout: undefined }),
    cluster: false,
  };
};

import type { RedisOptions } from 'ioredis';

export interface RedisHostPort {
  host: string;
  port: number;
}

/**
 * Where the registry's Redis is, from one URL (the `--redis` flag):
 * - `redis://[:password@]host:port[/db]` or `rediss://…` — one Redis server;
 * - `redis-sentinel://[:password@]host:port[,host:port…]/<master name>[/db]` — Redis Sentinel:
 *   ioredis asks the sentinels for the current master and follows failovers by itself;
 *   `rediss-sentinel://…` is the same over TLS, to the sentinels and to the master;
 * - `redis-cluster://[:password@]host:port[,host:port…]` — Redis Cluster: the listed nodes are
 *   only where to start, the client learns the slot map from them and follows it (resharding,
 *   failover); `rediss-cluster://…` connects to every node over TLS. A cluster has no databases.
 * Returns the URL to hand ioredis (for a plain server), the options to merge, and for a
 * cluster its seed nodes.
 */
export const redisTarget = (
  url: string,
): { url?: string; options: RedisOptions; cluster?: RedisHostPort[] } => {
  if (/^rediss?-cluster:/.test(url)) return clusterTarget(url);
  if (!/^rediss?-sentinel:/.test(url)) return { url, options: {} };
  const m = /^rediss?-sentinel:\/\/(?:(?:[^:@/]*):([^@/]*)@)?([^/]+)\/([^/?#]+)(?:\/(\d+))?\/?$/.exec(url);
  if (!m) {
    throw new Error(
      `invalid sentinel URL ${JSON.stringify(url)}: want redis-sentinel://host:port[,host:port]/<master name>[/db] (rediss-sentinel:// for TLS)`,
    );
  }
  const [, password, hosts, name, db] = m;
  return {
    options: {
      sentinels: hostList(hosts!, 26379, url),
      name: decodeURIComponent(name!),
      ...(password
        ? { password: decodeURIComponent(password), sentinelPassword: decodeURIComponent(password) }
        : {}),
      ...(db ? { db: Number(db) } : {}),
    },
  };
};

const hostList = (hosts: string, defaultPort: number, url: string): RedisHostPort[] =>
  hosts.split(',').map((hp) => {
    const i = hp.lastIndexOf(':');
    const port = i > 0 ? Number(hp.slice(i + 1)) : defaultPort;
    const host = i > 0 ? hp.slice(0, i) : hp;
    if (!host || !Number.isInteger(port) || port <= 0 || port > 65535)
      throw new Error(`invalid address ${JSON.stringify(hp)} in ${url}`);
    return { host, port };
  });

const clusterTarget = (url: string): { options: RedisOptions; cluster: RedisHostPort[] } => {
  const m = /^rediss?-cluster:\/\/(?:(?:[^:@/]*):([^@/]*)@)?([^/?#]+)\/?$/.exec(url);
  if (!m) {
    throw new Error(
      `invalid cluster URL ${JSON.stringify(url)}: want redis-cluster://host:port[,host:port…] (rediss-cluster:// for TLS; a cluster has no /db)`,
    );
  }
  const [, password, hosts] = m;
  return {
    cluster: hostList(hosts!, 6379, url),
    options: password ? { password: decodeURIComponent(password) } : {},
  };
};

import type { RedisOptions } from 'ioredis';

/**
 * Where the registry's Redis is, from one URL (the `--redis` flag):
 * - `redis://[:password@]host:port[/db]` or `rediss://…` — one Redis server;
 * - `redis-sentinel://[:password@]host:port[,host:port…]/<master name>[/db]` — Redis Sentinel:
 *   ioredis asks the sentinels for the current master and follows failovers by itself;
 *   `rediss-sentinel://…` is the same over TLS, to the sentinels and to the master.
 * Returns the URL to hand ioredis (for a plain server) and the options to merge.
 */
export const redisTarget = (url: string): { url?: string; options: RedisOptions } => {
  if (!/^rediss?-sentinel:/.test(url)) return { url, options: {} };
  const m = /^rediss?-sentinel:\/\/(?:(?:[^:@/]*):([^@/]*)@)?([^/]+)\/([^/?#]+)(?:\/(\d+))?\/?$/.exec(url);
  if (!m) {
    throw new Error(
      `invalid sentinel URL ${JSON.stringify(url)}: want redis-sentinel://host:port[,host:port]/<master name>[/db] (rediss-sentinel:// for TLS)`,
    );
  }
  const [, password, hosts, name, db] = m;
  const sentinels = hosts!.split(',').map((hp) => {
    const i = hp.lastIndexOf(':');
    const port = i > 0 ? Number(hp.slice(i + 1)) : 26379;
    if (!Number.isInteger(port) || port <= 0)
      throw new Error(`invalid sentinel address ${JSON.stringify(hp)} in ${url}`);
    return { host: i > 0 ? hp.slice(0, i) : hp, port };
  });
  return {
    options: {
      sentinels,
      name: decodeURIComponent(name!),
      ...(password
        ? { password: decodeURIComponent(password), sentinelPassword: decodeURIComponent(password) }
        : {}),
      ...(db ? { db: Number(db) } : {}),
    },
  };
};

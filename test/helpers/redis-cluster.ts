import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { eventually } from './eventually';
import { freePort } from './ports';
import { tmpDir } from './tmp';

const run = promisify(execFile);

export interface ClusterNode {
  port: number;
  /** Stop this node (SIGKILL: a crashed master, as the failover test wants). */
  kill(): Promise<void>;
  readonly alive: boolean;
}

export interface RedisCluster {
  /** `redis-cluster://127.0.0.1:p1,…` naming every node as a seed. */
  url: string;
  nodes: ClusterNode[];
  /** The master currently serving `key`'s slot. */
  masterFor(key: string): Promise<ClusterNode>;
  /** `CLUSTER KEYSLOT key`, asked of the cluster itself. */
  keyslot(key: string): Promise<number>;
  /**
   * SIGKILL a master once its replica has everything it acknowledged (replication is
   * asynchronous: what a master acknowledged just before it dies may be lost, which is Redis
   * Cluster's own guarantee; the test wants to see the registry's behaviour, not that one).
   */
  crashMaster(node: ClusterNode): Promise<void>;
  /** Resolves once a live node reports `cluster_state:ok` and `port` is no master any more. */
  waitFailedOver(port: number, deadlineMs?: number): Promise<number>;
  stop(): Promise<void>;
}

/** How long a master may be unreachable before the cluster fails it over (redis default 15 s). */
export const CLUSTER_NODE_TIMEOUT_MS = 2000;

/**
 * A real Redis Cluster on loopback: 3 masters and 3 replicas of `redis-server --cluster-enabled
 * yes` on free ports (client port and cluster-bus port), joined by `redis-cli --cluster create
 * --cluster-replicas 1`, returned once every node says `cluster_state:ok` and every replica is in
 * sync. No persistence; a short node timeout so a failover takes seconds, not the default 15 s.
 * `.ci/run` installs redis-server (Debian's package includes redis-cli).
 */
export const startRedisCluster = async (): Promise<RedisCluster> => {
  const dir = tmpDir('fleetgate-cluster-');
  const procs: ChildProcess[] = [];
  const ports: number[] = [];
  const nodes: ClusterNode[] = [];
  const stopAll = async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    dir.cleanup();
  };
  try {
    for (let i = 0; i < 6; i++) {
      const port = await freePort();
      const busPort = await freePort();
      ports.push(port);
      const p = await launch(port, busPort, dir.dir);
      procs.push(p);
      nodes.push({
        port,
        get alive() {
          return p.exitCode === null && p.signalCode === null;
        },
        kill: () =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.kill('SIGKILL');
          }),
      });
    }
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      ],
      { timeout: 30_000 },
    ).catch((e: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`redis-cli --cluster create failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    });
    await eventually(
      async () => (await Promise.all(ports.map((p) => clusterOk(p)))).every(Boolean),
      30_000,
      'cluster_state:ok on every node',
    );
    await eventually(
      async () => (await Promise.all(ports.map((p) => replicaSynced(p)))).every(Boolean),
      30_000,
      'every replica in sync',
    );
  } catch (e) {
    await stopAll();
    throw e;
  }

  const ask = async <T>(f: (r: Redis) => Promise<T>): Promise<T> => {
    const live = nodes.find((n) => n.alive);
    if (!live) throw new Error('no live cluster node');
    const r = new Redis({ port: live.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await r.connect();
      return await f(r);
    } finally {
      r.disconnect();
    }
  };

  return {
    url: `redis-cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
    nodes,
    keyslot: (key) => ask(async (r) => Number(await r.call('CLUSTER', 'KEYSLOT', key))),
    masterFor: async (key) => {
      const slot = await ask(async (r) => Number(await r.call('CLUSTER', 'KEYSLOT', key)));
      const ranges = (await ask((r) => r.call('CLUSTER', 'SLOTS'))) as [number, number, [string, number]][];
      const owner = ranges.find(([lo, hi]) => slot >= lo && slot <= hi);
      const node = nodes.find((n) => n.port === owner?.[2][1]);
      if (!node) throw new Error(`no master serves slot ${slot}`);
      return node;
    },
    waitFailedOver: (port, deadlineMs = 30_000) =>
      eventually(
        async () => {
          const live = nodes.filter((n) => n.alive);
          const states = await Promise.all(live.map((n) => clusterOk(n.port)));
          if (!states.every(Boolean)) return false;
          const ranges = (await ask((r) => r.call('CLUSTER', 'SLOTS'))) as [
            number,
            number,
            [string, number],
          ][];
          return ranges.length > 0 && ranges.every(([, , [, p]]) => p !== port);
        },
        deadlineMs,
        `failover of the master on ${port}`,
      ),
    crashMaster: async (node) => {
      await eventually(
        async () => {
          const rep = await info(node.port, ['INFO', 'replication']);
          const offset = /master_repl_offset:(\d+)/.exec(rep)?.[1];
          const replicas = [...rep.matchAll(/^slave\d+:.*offset=(\d+)/gm)].map((m) => m[1]);
          return offset !== undefined && replicas.length > 0 && replicas.every((o) => o === offset);
        },
        10_000,
        `the replica of ${node.port} in sync`,
      );
      await node.kill();
    },
    stop: stopAll,
  };
};

const launch = (port: number, busPort: number, dir: string): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const p = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--cluster-port',
        String(busPort),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        String(CLUSTER_NODE_TIMEOUT_MS),
        // A replica may always take over: the test kills masters whose replica is in sync.
        '--cluster-replica-validity-factor',
        '0',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`redis-server did not start on ${port}: ${out}`)),
      10_000,
    );
    p.on('error', (err) => {
      clearTimeout(timer);
      reject(
        new Error(`cannot run redis-server (${err.message}); install it: apt-get install -y redis-server`),
      );
    });
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(p);
      }
    });
  });

const info = async (port: number, cmd: string[]): Promise<string> => {
  const r = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return String(await r.call(cmd[0]!, ...cmd.slice(1)));
  } catch {
    return '';
  } finally {
    r.disconnect();
  }
};

const clusterOk = async (port: number) =>
  (await info(port, ['CLUSTER', 'INFO'])).includes('cluster_state:ok');

/** A master counts as synced; a replica once its link is up and it has the master's offset. */
const replicaSynced = async (port: number): Promise<boolean> => {
  const s = await info(port, ['INFO', 'replication']);
  if (s.includes('role:master')) return true;
  return s.includes('master_link_status:up') && !s.includes('master_sync_in_progress:1');
};

import fs from 'node:fs/promises';
import type http from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import { aclDisabled } from '../acl/disabled';
import type { Authenticator } from '../acl/types';
import type { AgentConfig } from '../config/agent';
import { serverTlsFiles } from '../config/tls';
import type { EdgeLimits } from '../edge/server';
import { silentLogger } from '../log/logger';
import { createAppServer, serverContextOptions } from '../tls/server';
import { advertiseOrigin, type AllocId, type NodeId } from '../wire';
import { createAgentApp, type AgentApp } from './app';
import type { AgentAppDeps, NodeIdentity } from './deps';
import { GarbageCollector } from './gc/collector';
import { ManifestStore, manifestsDir } from './manifests/store';
import { buildStaticMeta } from './meta/static';
import { MetaStore } from './meta/store';
import { FollowerQuota } from './quota/followers';
import { loadOrCreateNodeId } from './node/identity';
import type { NodeLink } from './registration/link';
import { Registrar } from './registration/registrar';
import { TaskRunner } from './runner/runner';
import { AllocStatsCollector } from './stats/alloc';
import { HostStatsCollector } from './stats/host';
import { fingerprintResources } from './stats/node-resources';
import { TaskStatsSampler } from './stats/task-sampler';
import { TaskCgroups } from './cgroups/task-cgroups';
import { VERSION } from '../version';

export interface StartAgentDeps {
  logger?: Logger;
  /**
   * How the node registers (a gateway's node API, or in process in `fleetgate dev`); built once
   * the node ID is known. Absent: the agent runs unregistered, serving only direct callers.
   */
  link?: (nodeId: NodeId) => Promise<NodeLink>;
  /** Absent: ACLs off. */
  authenticator?: Authenticator;
  /** Where task cgroups go instead of below the agent's own cgroup; `false`: none (tests). */
  cgroupParent?: string | false;
  /** Replace individual route handlers (tests). */
  handlerOverrides?: AgentAppDeps['handlerOverrides'];
  /** Request header/body time limits (tests shorten them); defaults in config/defaults. */
  limits?: EdgeLimits;
}

export interface RunningAgent {
  /** `http(s)://host:port` actually listened on. */
  readonly url: string;
  readonly nodeId: string;
  readonly app: AgentApp;
  readonly server: http.Server | https.Server;
  /** Read the TLS certificate files again (SIGHUP); throws, keeping the old ones, when they are bad. */
  reloadTls(): void;
  readonly services: AgentAppDeps;
  /** Ids of the configured allocations started at launch. */
  readonly allocIds: AllocId[];
  /** Graceful: stop tasks, deregister (heartbeat lapses at once), close the server. */
  stop(): Promise<void>;
}

const splitAddr = (addr: string): { host: string; port: number } => {
  const i = addr.lastIndexOf(':');
  return { host: addr.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(addr.slice(i + 1)) };
};

const hostPort = (host: string, port: number): string =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

/** Wire every agent component from a validated config, listen, register, start the tasks. */
export const startAgent = async (config: AgentConfig, deps: StartAgentDeps = {}): Promise<RunningAgent> => {
  const logger = deps.logger ?? silentLogger();
  await fs.mkdir(config.data_dir, { recursive: true });
  const dataDir = await fs.realpath(config.data_dir);
  await fs.mkdir(path.join(dataDir, 'alloc'), { recursive: true });
  const nodeId = await loadOrCreateNodeId(dataDir);
  const log = logger.child({ node: nodeId });
  // Before listening: a node that cannot register (no join token yet) fails at once.
  const link = deps.link ? await deps.link(nodeId) : undefined;

  let bound = config.http_addr;
  // Built before anything starts, so a bad certificate file stops the agent with one line.
  const tlsFiles = serverTlsFiles(config);
  if (tlsFiles) serverContextOptions(tlsFiles);
  const scheme = tlsFiles ? 'https' : 'http';
  const node: NodeIdentity = {
    id: nodeId,
    name: config.node_name ?? nodeId,
    datacenter: config.datacenter,
    version: VERSION,
    httpAddr: () => (config.advertise ? new URL(config.advertise).host : bound),
    advertiseUrl: () => (config.advertise ? advertiseOrigin(config.advertise)! : `${scheme}://${bound}`),
  };

  const manifests = new ManifestStore(manifestsDir(dataDir), log.child({ component: 'manifests' }));
  await manifests.start();
  const meta = await MetaStore.open(dataDir, buildStaticMeta(config.meta));
  const cgroups = TaskCgroups.open(nodeId, log.child({ component: 'cgroups' }), deps.cgroupParent);
  const runner = new TaskRunner(dataDir, manifests, log.child({ component: 'runner' }), cgroups);
  const hostStats = new HostStatsCollector(path.join(dataDir, 'alloc'), log);
  hostStats.start();
  const taskStats = new TaskStatsSampler(runner, log.child({ component: 'stats' }));
  taskStats.start();
  const services: AgentAppDeps = {
    node,
    dataDir,
    authenticator: deps.authenticator ?? aclDisabled,
    manifests,
    meta,
    hostStats,
    allocStats: new AllocStatsCollector(taskStats),
    runner,
    gc: new GarbageCollector(dataDir, manifests, log.child({ component: 'gc' })),
    followers: new FollowerQuota({
      total: config.max_followers_total,
      perAlloc: config.max_followers_per_alloc,
    }),
    logger,
    ...(deps.handlerOverrides ? { handlerOverrides: deps.handlerOverrides } : {}),
  };

  const app = createAgentApp(services);
  const { server, reload: reloadTls } = createAppServer(
    app,
    tlsFiles,
    log.child({ component: 'tls' }),
    deps.limits,
  );
  const { host, port } = splitAddr(config.http_addr);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  bound = hostPort(host, (server.address() as AddressInfo).port);

  const registrar = link
    ? new Registrar({
        link,
        node,
        meta,
        manifests,
        resources: await fingerprintResources(dataDir, new URL(node.advertiseUrl()).hostname),
        heartbeatIntervalMs: config.heartbeat_interval_ms,
        log: log.child({ component: 'registration' }),
      })
    : undefined;
  await registrar?.start();
  const allocIds = await runner.start(config.allocations);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await runner.stopAll();
      taskStats.stop();
      cgroups.close();
      await services.gc.idle();
      await registrar?.stop();
      hostStats.stop();
      manifests.stop();
      server.closeIdleConnections();
      // Streams (log follows) would hold close() forever: end them after a short grace.
      const force = setTimeout(() => server.closeAllConnections(), 2000);
      force.unref();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    })());

  return { url: `${scheme}://${bound}`, nodeId, app, server, reloadTls, services, allocIds, stop };
};

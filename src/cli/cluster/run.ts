import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FleetgateClient } from '../../api';
import { writeKeyPair } from '../commands/acl-keygen';
import { banner, type RunningCluster } from './banner';
import { freePort, portFree, startChild, stopChildren, type Child } from './processes';
import type tls from 'node:tls';
import { clientTlsOptions } from '../../tls/client';
import type { ClusterPki } from '../../tls/names';
import { AGENT_TLS_NAME, agentConfig, TLS_HOST_NAMES, TOPOLOGY } from './topology';

export interface ClusterOptions {
  /** Where data dirs, configs, keys and logs go; a temp dir (removed on exit) when absent. */
  dir?: string;
  /** Pick free ports instead of the topology's fixed ones (4646-4649). */
  freePorts?: boolean;
  redisServer: string;
  /** The CLI entry point the children run (this very program). */
  cliPath: string;
  heartbeatMs: number;
  /**
   * TLS everywhere: a CA and certificates in `<dir>/tls` (kept when present), Redis on TLS with
   * client certificates, HTTPS at the gateway, mutual TLS at the agents.
   */
  tls?: boolean;
}

/** Flags each role gets from the cluster's certificates; none without TLS. */
const tlsArgs = (pki: ClusterPki | undefined, role: 'gateway' | 'agent'): string[] => {
  if (!pki) return [];
  const own = role === 'gateway' ? pki.server : pki.client;
  const redis = [
    '--redis-ca-cert',
    pki.ca.cert,
    '--redis-client-cert',
    own.cert,
    '--redis-client-key',
    own.key,
  ];
  const serve = ['--tls-cert', own.cert, '--tls-key', own.key, '--tls-ca', pki.ca.cert];
  // The gateway checks each agent's certificate for the agents' role name, as Nomad checks
  // client.<region>.nomad; agents take only clients with a certificate from the cluster CA.
  return role === 'gateway'
    ? [...serve, '--tls-agent-server-name', AGENT_TLS_NAME, ...redis]
    : [...serve, '--tls-verify-client', ...redis];
};

/** redis-server on TLS only, asking clients for a certificate from the cluster CA. */
const redisListenArgs = (port: number, pki: ClusterPki | undefined): string[] =>
  pki
    ? [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-cert-file',
        pki.server.cert,
        '--tls-key-file',
        pki.server.key,
        '--tls-ca-cert-file',
        pki.ca.cert,
        '--tls-auth-clients',
        'yes',
      ]
    : ['--port', String(port)];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Fixed topology ports when all are free (so the printed commands are stable); otherwise port 0
 * for the gateway and agents, which then report the port they bound (no race with other
 * programs picking the same "free" port between our check and their bind).
 */
const choosePorts = async (free: boolean): Promise<{ gateway: number; agents: number[]; redis: number }> => {
  const fixed = [TOPOLOGY.gateway.port, ...TOPOLOGY.agents.map((a) => a.port)];
  const useFixed = !free && (await Promise.all(fixed.map(portFree))).every(Boolean);
  const ports = useFixed ? fixed : fixed.map(() => 0);
  return { gateway: ports[0]!, agents: ports.slice(1), redis: await freePort() };
};

/**
 * Starts the demo topology on loopback: redis-server, keys, one gateway, three agents with their
 * own data dirs and static allocations; bootstraps ACLs; prints what to try; and stops every
 * child on SIGINT/SIGTERM. Resolves when everything has stopped.
 */
export const runCluster = async (o: ClusterOptions, print: (s: string) => void): Promise<void> => {
  const temp = !o.dir;
  const dir = o.dir ? path.resolve(o.dir) : fs.mkdtempSync(path.join(os.tmpdir(), 'fleetgate-cluster-'));
  fs.mkdirSync(dir, { recursive: true });
  const children: Child[] = [];
  let stopping = false;
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((r) => (wake = r));
  const onSignal = () => {
    if (!stopping) print('\nstopping the cluster...\n');
    stopping = true;
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const ports = await choosePorts(o.freePorts === true);
    const keysDir = path.join(dir, 'keys');
    if (!fs.existsSync(path.join(keysDir, 'acl-private.pem'))) writeKeyPair(keysDir);
    const pki = o.tls ? await clusterPki(dir, print) : undefined;
    const redisUrl = `${pki ? 'rediss' : 'redis'}://127.0.0.1:${ports.redis}`;
    children.push(
      await startChild(
        'redis',
        o.redisServer,
        [...redisListenArgs(ports.redis, pki), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        path.join(dir, 'redis.log'),
        /Ready to accept connections/,
      ),
    );
    const fg = (name: string, args: string[]) =>
      startChild(
        name,
        process.execPath,
        [o.cliPath, ...args],
        path.join(dir, `${name}.log`),
        /listening on https?:\/\//,
      );
    const gateway = await fg(TOPOLOGY.gateway.service, [
      'gateway',
      '--http-addr',
      `127.0.0.1:${ports.gateway}`,
      '--redis',
      redisUrl,
      '--acl',
      '--acl-key',
      path.join(keysDir, 'acl-private.pem'),
      ...tlsArgs(pki, 'gateway'),
    ]);
    children.push(gateway);
    const scheme = pki ? 'https' : 'http';
    const gatewayUrl = gateway.url ?? `${scheme}://127.0.0.1:${ports.gateway}`;
    // As an operator: the CA and the cli certificate.
    const operatorTls = pki ? clientTlsOptions({ ca: pki.ca.cert, ...pki.cli }) : undefined;
    // ACLs first: the agents join with a join token only the management token can create.
    const tokens = await bootstrapAcl(gatewayUrl, operatorTls);
    const joinFile = path.join(dir, 'join-token');
    fs.writeFileSync(joinFile, `${tokens.joinToken}\n`, { mode: 0o600 });
    const agentUrls: string[] = [];
    for (const [i, a] of TOPOLOGY.agents.entries()) {
      const configFile = path.join(dir, `${a.service}.json`);
      fs.writeFileSync(configFile, JSON.stringify(agentConfig(a), null, 2));
      const port = ports.agents[i]!;
      const meta = Object.entries(a.meta).flatMap(([k, v]) => ['--meta', `${k}=${v}`]);
      const agent = await fg(a.service, [
        'agent',
        '--config',
        configFile,
        '--http-addr',
        `127.0.0.1:${port}`,
        '--data-dir',
        path.join(dir, a.service),
        '--node-name',
        a.nodeName,
        '--datacenter',
        a.datacenter,
        ...meta,
        // No Redis URL and no key: the gateway admits the node and sends the ACL state.
        '--gateway',
        gatewayUrl,
        '--join-token',
        joinFile,
        '--acl',
        '--heartbeat-interval-ms',
        String(o.heartbeatMs),
        ...tlsArgs(pki, 'agent'),
      ]);
      children.push(agent);
      agentUrls.push(agent.url ?? `${scheme}://127.0.0.1:${port}`);
    }
    if (stopping) return;
    const running = await registered(gatewayUrl, tokens, redisUrl, dir, agentUrls, operatorTls, pki);
    print(banner(running));
    for (const c of children)
      c.proc.once(
        'exit',
        (code, sig) =>
          !stopping && print(`fleetgate cluster: ${c.name} exited (${sig ?? code}); see ${c.logFile}\n`),
      );
    await stopped;
  } finally {
    await stopChildren(children);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (temp) fs.rmSync(dir, { recursive: true, force: true });
    print('cluster stopped\n');
  }
};

interface Tokens {
  mgmt: string;
  read: string;
  joinToken: string;
}

/** The cluster's certificates, made on first use (that takes a moment: say so). */
const clusterPki = async (dir: string, print: (s: string) => void): Promise<ClusterPki> => {
  const { ensureClusterPki } = await import('../../tls/cluster-pki');
  const { pki, created } = await ensureClusterPki(path.join(dir, 'tls'), { dnsNames: TLS_HOST_NAMES });
  print(`${created ? 'made a CA and certificates' : 'using the CA and certificates'} in ${pki.dir}\n`);
  return pki;
};

/** Bootstrap ACLs, make the read-only demo token and a join token for the agents. */
const bootstrapAcl = async (gatewayUrl: string, tls: tls.ConnectionOptions | undefined): Promise<Tokens> => {
  const anon = new FleetgateClient({ address: gatewayUrl, ...(tls ? { tls } : {}) });
  const mgmt = (await anon.aclBootstrap()).SecretID;
  const client = new FleetgateClient({ address: gatewayUrl, token: mgmt, ...(tls ? { tls } : {}) });
  const p = TOPOLOGY.demoPolicy;
  await client.aclPolicyApply({ Name: p.name, Description: p.description, Rules: JSON.stringify(p.rules) });
  const read = await client.aclTokenCreate({
    Name: 'demo read-only',
    Type: 'client',
    Policies: [p.name],
    ExpirationTTL: '8h',
  });
  const join = await client.joinTokenCreate({ Name: 'demo agents', ExpirationTTL: '1h' });
  return { mgmt, read: read.SecretID, joinToken: join.SecretID };
};

/** Wait for the three allocations to register. */
const registered = async (
  gatewayUrl: string,
  tokens: Tokens,
  redisUrl: string,
  dir: string,
  agentUrls: string[],
  tls: tls.ConnectionOptions | undefined,
  pki: ClusterPki | undefined,
): Promise<RunningCluster> => {
  const mgmt = tokens.mgmt;
  const client = new FleetgateClient({ address: gatewayUrl, token: mgmt, ...(tls ? { tls } : {}) });
  const nodes = new Map<string, string>();
  const end = Date.now() + 20000;
  for (;;) {
    const [allocs, list] = await Promise.all([client.allocations(), client.nodes()]);
    for (const n of list) nodes.set(n.ID, n.Name);
    const agents = TOPOLOGY.agents.map((a, i) => {
      const alloc = allocs.find((x) => nodes.get(x.NodeID) === a.nodeName && x.JobID === a.job);
      return { nodeName: a.nodeName, url: agentUrls[i]!, allocId: alloc?.ID ?? '', job: a.job };
    });
    if (agents.every((a) => a.allocId))
      return {
        dir,
        redisUrl,
        gatewayUrl,
        agents,
        managementToken: mgmt,
        readToken: tokens.read,
        ...(pki ? { tls: pki } : {}),
      };
    if (Date.now() > end)
      throw new Error(
        `allocations did not register within 20 s (have ${allocs.length}); see the agent logs in ${dir}`,
      );
    await sleep(200);
  }
};

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FleetgateClient } from '../../api';
import { writeKeyPair } from '../commands/acl-keygen';
import { banner, type RunningCluster } from './banner';
import { freePort, portFree, startChild, stopChildren, type Child } from './processes';
import { agentConfig, TOPOLOGY } from './topology';

export interface ClusterOptions {
  /** Where data dirs, configs, keys and logs go; a temp dir (removed on exit) when absent. */
  dir?: string;
  /** Pick free ports instead of the topology's fixed ones (4646-4649). */
  freePorts?: boolean;
  redisServer: string;
  /** The CLI entry point the children run (this very program). */
  cliPath: string;
  heartbeatMs: number;
}

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
    const redisUrl = `redis://127.0.0.1:${ports.redis}`;
    children.push(
      await startChild(
        'redis',
        o.redisServer,
        ['--port', String(ports.redis), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
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
        /listening on http:\/\//,
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
    ]);
    children.push(gateway);
    const gatewayUrl = gateway.url ?? `http://127.0.0.1:${ports.gateway}`;
    // ACLs first: the agents join with a join token only the management token can create.
    const tokens = await bootstrapAcl(gatewayUrl);
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
      ]);
      children.push(agent);
      agentUrls.push(agent.url ?? `http://127.0.0.1:${port}`);
    }
    if (stopping) return;
    const running = await registered(gatewayUrl, tokens, redisUrl, dir, agentUrls);
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

/** Bootstrap ACLs, make the read-only demo token and a join token for the agents. */
const bootstrapAcl = async (gatewayUrl: string): Promise<Tokens> => {
  const anon = new FleetgateClient({ address: gatewayUrl });
  const mgmt = (await anon.aclBootstrap()).SecretID;
  const client = new FleetgateClient({ address: gatewayUrl, token: mgmt });
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
): Promise<RunningCluster> => {
  const mgmt = tokens.mgmt;
  const client = new FleetgateClient({ address: gatewayUrl, token: mgmt });
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
      return { dir, redisUrl, gatewayUrl, agents, managementToken: mgmt, readToken: tokens.read };
    if (Date.now() > end)
      throw new Error(
        `allocations did not register within 20 s (have ${allocs.length}); see the agent logs in ${dir}`,
      );
    await sleep(200);
  }
};

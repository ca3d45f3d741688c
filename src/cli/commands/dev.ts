import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { createAuthenticator } from '../../acl/authenticator';
import { aclDisabled } from '../../acl/disabled';
import { loadKeyMaterial, type KeyMaterial } from '../../acl/keys';
import { createSigner } from '../../acl/token';
import { startAgent } from '../../agent/agent';
import { localLink } from '../../agent/registration/local-link';
import { NodeAdmission } from '../../registry/admission';
import { AgentConfigSchema } from '../../config/agent';
import { DEFAULTS } from '../../config/defaults';
import { bool, ConfigError, validate } from '../../config/sources';
import { LocalForwarder } from '../../forward/local';
import { createLogger } from '../../log/logger';
import { createMetrics } from '../../log/metrics';
import { NodeLiveness } from '../../registry/liveness';
import { MemoryRegistry } from '../../registry/memory';
import { createAclApi } from '../../router/acl-api';
import { createGatewayApp } from '../../router/app';
import { UI_PATH } from '../../router/ui-static';
import { StreamQuota } from '../../router/stream-quota';
import { FleetgateClient } from '../../api';
import { clientTlsOptions, type ClientTlsFiles } from '../../tls/client';
import type { ClusterPki } from '../../tls/names';
import { shellWord } from '../output/shell';
import { reloadTlsOnSighup } from '../tls-reload';
import { writeKeyPair } from './acl-keygen';
import { listen } from './gateway-serve';
import type { Registry } from '../../registry/registry';
import { asAllocId, asNodeId, type AllocId, type NodeId } from '../../wire';

interface DevFlags {
  httpAddr: string;
  dataDir?: string;
  acl?: boolean;
  tls?: boolean;
  logLevel: string;
}

/** The demo task: one line to stdout and one to stderr every second, so logs exist at once. */
const DEMO_TASK = {
  name: 'web',
  command: '/bin/sh',
  args: [
    '-c',
    'i=0; while true; do i=$((i+1)); echo "hello from stdout $i"; echo "hello from stderr $i" >&2; sleep 1; done',
  ],
};

/**
 * `--acl`: a fresh ES256 pair per run in `<data-dir>/acl/` (ephemeral: the registry is in memory,
 * so tokens of an earlier run could not be revoked or bootstrapped anew anyway). The public key
 * is there so an extra `fleetgate agent --acl --acl-key` can be pointed at it.
 */
const devKeys = (dataDir: string): { keys: KeyMaterial; dir: string } => {
  const dir = path.join(dataDir, 'acl');
  const { privatePath } = writeKeyPair(dir, true);
  return { keys: loadKeyMaterial(privatePath), dir };
};

/** Wait (bounded) until the registry knows the node and the allocation. */
const registered = async (registry: Registry, nodeId: NodeId, allocId: AllocId): Promise<void> => {
  for (let waited = 0; waited < 5000; waited += 20) {
    if ((await registry.getNode(nodeId)) && (await registry.getAlloc(allocId))) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the demo allocation ${allocId} did not register within 5 s; see the log above`);
};

/** Bootstrap through our own ACL API, exactly as an operator would, and return the SecretID. */
const bootstrap = async (url: string, tls: ClientTlsFiles): Promise<string> =>
  (await new FleetgateClient({ address: url, tls: clientTlsOptions(tls) }).aclBootstrap()).SecretID;

/**
 * `fleetgate dev`: one process with a gateway, an embedded agent reached in-process (local
 * forwarder, no socket), and an in-memory registry. Nothing to install besides Node.
 */
/** `--acl`, else FLEETGATE_ACL (true/false/1/0); anything else is a config error (exit 2). */
const wanted = (flag: boolean | undefined, name: 'acl' | 'tls'): boolean => {
  if (flag) return true;
  const v = bool(process.env[`FLEETGATE_${name.toUpperCase()}`]);
  if (typeof v === 'string') throw new ConfigError(`config: ${name}: expected true or false, got "${v}"`);
  return v ?? false;
};

/**
 * `--tls`: a CA and the gateway, agent and operator certificates in `<data-dir>/tls` (kept when
 * they are already there). The gateway serves HTTPS; the agent's own port takes only clients
 * with a certificate from that CA (mutual TLS), as a production agent with --tls-verify-client.
 */
const devPki = async (dataDir: string): Promise<ClusterPki> => {
  const { ensureClusterPki } = await import('../../tls/cluster-pki');
  return (await ensureClusterPki(path.join(dataDir, 'tls'))).pki;
};

/** The lines that make a shell (curl, fleetgate, nomad) talk TLS to this dev server. */
const tlsLines = (pki: ClusterPki, url: string, agentUrl: string): string[] => [
  `TLS on (certificates in ${pki.dir}): HTTPS at ${url}; the agent at ${agentUrl} requires a client certificate (mutual TLS)`,
  `export FLEETGATE_ADDR=${url} NOMAD_ADDR=${url}`,
  `export NOMAD_CACERT=${shellWord(pki.ca.cert)} NOMAD_CLIENT_CERT=${shellWord(pki.cli.cert)} NOMAD_CLIENT_KEY=${shellWord(pki.cli.key)}`,
];

const run = async (flags: DevFlags): Promise<void> => {
  flags.acl = wanted(flags.acl, 'acl');
  flags.tls = wanted(flags.tls, 'tls');
  const dataDir = flags.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'fleetgate-dev-'));
  const pki = flags.tls ? await devPki(dataDir) : undefined;
  const agentConfig = validate(AgentConfigSchema, {
    http_addr: '127.0.0.1:0',
    data_dir: dataDir,
    node_name: 'dev',
    log_level: flags.logLevel,
    allocations: [{ job: 'demo', tasks: [DEMO_TASK] }],
    ...(pki
      ? { tls_cert: pki.client.cert, tls_key: pki.client.key, tls_ca: pki.ca.cert, tls_verify_client: true }
      : {}),
  });
  // The gateway's certificate is its client certificate towards the agent (the job-wide stream dials it).
  const agentTls = pki ? clientTlsOptions({ ca: pki.ca.cert, ...pki.server }) : {};
  const logger = createLogger({ level: flags.logLevel, name: 'dev' });
  const registry = new MemoryRegistry();
  const liveness = new NodeLiveness(registry);
  await liveness.start();
  const acl = flags.acl ? devKeys(dataDir) : undefined;
  const keys = acl?.keys;
  const authenticator = keys ? createAuthenticator({ keyMaterial: keys, registry, logger }) : aclDisabled;
  const admission = new NodeAdmission(registry, logger.child({ component: 'node-api' }));
  const agent = await startAgent(agentConfig, {
    logger,
    link: async (nodeId) => localLink(registry, admission, nodeId),
    ...(keys ? { authenticator } : {}),
  });
  const local = new LocalForwarder(agent.app);
  const metrics = createMetrics({ role: 'gateway' });
  const aclApi = createAclApi({
    registry,
    authenticator,
    logger,
    ...(keys ? { signer: createSigner(keys) } : {}),
  });
  const streamQuota = new StreamQuota({
    perToken: DEFAULTS.maxStreamsPerToken,
    anonymous: DEFAULTS.maxStreamsAnonymous,
    total: DEFAULTS.maxStreamsTotal,
  }).observe(metrics.quota);
  const app = createGatewayApp({
    registry,
    forwarder: local,
    authenticator,
    logger,
    metrics,
    aclApi,
    streamQuota,
    agentTls: () => agentTls,
  });
  const allocId = agent.allocIds[0] ?? '';
  // Registration is pushed a moment after the agent starts: print nothing a newcomer could paste
  // before the gateway can resolve it.
  await registered(registry, asNodeId(agent.nodeId), asAllocId(allocId));
  const { server, url, reload } = await listen(app, flags.httpAddr, {
    tls: pki && { ...pki.server, ca: pki.ca.cert, verifyClient: false },
    logger: logger.child({ component: 'tls' }),
  });
  // Operators' view: the CA, and the cli certificate the agent's mutual TLS asks for.
  const cliTls: ClientTlsFiles = pki ? { ca: pki.ca.cert, ...pki.cli } : {};
  // The curl lines carry the token and the TLS files themselves so they can be pasted as they are.
  const secret = acl ? await bootstrap(url, cliTls) : undefined;
  const token = secret ? ` -H "X-Nomad-Token: ${secret}"` : '';
  const curl = pki
    ? `curl --cacert ${shellWord(pki.ca.cert)} --cert ${shellWord(pki.cli.cert)} --key ${shellWord(pki.cli.key)}${token}`
    : `curl${token}`;
  process.stdout.write(
    [
      `fleetgate dev listening on ${url}`,
      `node id  ${agent.nodeId}`,
      `alloc id ${allocId}`,
      `data dir ${dataDir}`,
      `web UI   ${url}${UI_PATH}`,
      ...(acl && secret
        ? [
            `ACLs on (keys in ${acl.dir}); bootstrap done, management token:`,
            `export NOMAD_TOKEN=${secret}`,
            `sign in to the web UI at ${url}${UI_PATH}sign-in with that token`,
          ]
        : []),
      ...(pki ? tlsLines(pki, url, agent.url) : []),
      `${curl} '${url}/v1/client/allocation/${allocId}/stats'`,
      `${curl} '${url}/v1/client/fs/ls/${allocId}?path=/alloc/logs'`,
      ...(pki ? [`${curl} '${agent.url}/v1/client/fs/ls/${allocId}?path=/alloc/logs'`] : []),
      `${curl} '${url}/v1/client/fs/logs/${allocId}?task=web&type=stdout&follow=true&plain=true'`,
      '',
    ].join('\n'),
  );
  const shutdown = () => {
    server.close();
    server.closeAllConnections();
    liveness.stop();
    void agent.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  if (pki) reloadTlsOnSighup([reload, () => agent.reloadTls()], logger);
};

/** Flags with their FLEETGATE_* twins (every flag has one), flag winning. */
export const register = (program: Command): void => {
  program
    .command('dev')
    .description('One process: gateway + embedded agent + in-memory registry + a demo allocation')
    .addOption(
      new Option('--http-addr <host:port>', 'listen address')
        .default('127.0.0.1:4646')
        .env('FLEETGATE_HTTP_ADDR'),
    )
    .addOption(
      new Option('--data-dir <dir>', 'agent data directory (default: a fresh temp dir)').env(
        'FLEETGATE_DATA_DIR',
      ),
    )
    // Not Option.env: commander turns any value of the variable, "false" too, into true.
    .option(
      '--acl',
      'enforce ACL tokens: ephemeral ES256 keys in <data-dir>/acl, bootstrapped; prints the management token (env: FLEETGATE_ACL=true|false)',
    )
    .option(
      '--tls',
      'HTTPS and mutual TLS: a CA and certificates in <data-dir>/tls; prints the curl and NOMAD_* lines that use them (env: FLEETGATE_TLS=true|false)',
    )
    .addOption(new Option('--log-level <level>', 'log level').default('warn').env('FLEETGATE_LOG_LEVEL'))
    .action(run);
};

import type { Command } from 'commander';
import { AclMirror } from '../../acl/mirror';
import { createMirrorAuthenticator, type MirrorAuthenticator } from '../../acl/mirror-authenticator';
import { startAgent } from '../../agent/agent';
import { AclWatch } from '../../agent/registration/acl-watch';
import { GatewayClient } from '../../agent/registration/gateway-client';
import { GatewayLink } from '../../agent/registration/gateway-link';
import { loadAgentConfig, type AgentFlags } from '../../config/agent';
import { createLogger } from '../../log/logger';
import { clientTlsOptions } from '../../tls/client';
import { loadAclKey } from '../acl-key';
import { reloadTlsOnSighup } from '../tls-reload';
import { addTlsFlags } from './tls-flags';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** How long "listening" waits for the first ACL push from a gateway. */
const FIRST_ACL_WAIT_MS = 5000;

/** Whether `p` settles within `ms` (the timer never outlives the answer). */
const settlesWithin = async (p: Promise<unknown>, ms: number): Promise<boolean> => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
};

/** Config problems throw ConfigError: main.ts prints its one line and exits 2 (usage error). */
const run = async (flags: AgentFlags): Promise<void> => {
  const config = loadAgentConfig(flags, process.env);
  const logger = createLogger({ level: config.log_level, name: 'agent' });
  // An https:// gateway is trusted through the cluster CA (tls_ca), and sees the agent's own
  // certificate as its client certificate, as agents and gateways present one to each other.
  const client =
    config.gateway.length > 0
      ? new GatewayClient({
          urls: config.gateway,
          tls: clientTlsOptions({ ca: config.tls_ca, cert: config.tls_cert, key: config.tls_key }),
        })
      : undefined;
  const mirror = new AclMirror();
  let ownNode: string | undefined;
  const authenticator: MirrorAuthenticator | undefined = config.acl
    ? createMirrorAuthenticator({
        mirror,
        ...(config.acl_key ? { pinnedKey: loadAclKey(config.acl_key) } : {}),
        maxStaleMs: config.acl_max_stale_ms,
        nodeId: () => ownNode,
        logger,
      })
    : undefined;
  let watch: AclWatch | undefined;
  const agent = await startAgent(config, {
    logger,
    ...(client
      ? {
          link: async (nodeId) => {
            ownNode = nodeId;
            const link = await GatewayLink.open(client, nodeId, config.data_dir, config.join_token);
            if (config.acl) {
              const w = new AclWatch(link, mirror, logger.child({ component: 'acl-watch' }));
              watch = w;
              void link.registered.then(() => w.start());
            }
            return link;
          },
        }
      : {}),
    ...(authenticator ? { authenticator } : {}),
  });
  // Until its first ACL push an agent refuses every non-management token (it fails closed), so
  // "listening" waits for that push — briefly: a gateway that does not answer must not keep a node
  // from serving management tokens.
  if (watch && !(await settlesWithin(watch.first, FIRST_ACL_WAIT_MS)))
    logger.warn(
      { waitedMs: FIRST_ACL_WAIT_MS },
      'no ACL state from a gateway yet: only management tokens are served until one answers',
    );
  process.stdout.write(`fleetgate agent listening on ${agent.url}\nnode id ${agent.nodeId}\n`);
  if (!client) logger.warn('no --gateway: this node is not registered; only direct callers reach it');

  let signalled = false;
  const shutdown = (sig: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal: sig }, 'stopping agent');
    agent
      .stop()
      .then(() => watch?.stop())
      .then(() => {
        authenticator?.close();
        client?.close();
      })
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'unclean shutdown');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  reloadTlsOnSighup([agent.reloadTls], logger);
};

/** `fleetgate agent …`: every flag also has a FLEETGATE_* twin and a config key (src/config/agent.ts). */
export const register = (program: Command): void => {
  const cmd = program
    .command('agent')
    .description(
      'Run a node agent: serve /v1/client/* for this node, run its configured allocations, register through the gateways',
    )
    .option('--config <file>', 'JSON config file (snake_case keys: http_addr, data_dir, allocations, ...)')
    .option('--http-addr <host:port>', 'listen address (port 0 picks a free port)')
    .option('--data-dir <dir>', 'agent state and allocation directories')
    .option('--node-name <name>', 'node name (default: the node id)')
    .option('--datacenter <dc>', 'datacenter')
    .option('--meta <k=v>', 'static node metadata (repeatable)', collect)
    .option('--advertise <url>', 'origin the gateway uses to reach this agent (http(s)://host:port)')
    .option('--gateway <urls>', 'gateway URLs, comma-separated: registration, heartbeats and ACL state')
    .option('--join-token <file>', 'file holding a join token (`fleetgate node join-token create`)')
    .option('--acl', 'enforce ACL tokens (policies and revocations come from the gateways)')
    .option('--acl-key <file>', 'pin the verification key: ES256 public key (PEM) or HS256 secret')
    .option('--acl-max-stale-ms <ms>', 'serve only management tokens after this long without a gateway')
    .option('--heartbeat-interval-ms <ms>', 'registry heartbeat interval')
    .option('--max-followers-total <n>', 'concurrent follow streams on this agent (0 = unlimited)')
    .option('--max-followers-per-alloc <n>', 'concurrent follow streams per allocation (0 = unlimited)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent');
  addTlsFlags(cmd).action(run);
};

import type { Command } from 'commander';
import { createAuthenticator } from '../../acl/authenticator';
import type { Authenticator } from '../../acl/types';
import { startAgent } from '../../agent/agent';
import { loadAgentConfig, type AgentConfig, type AgentFlags } from '../../config/agent';
import { throttledWarn } from '../../log/throttle';
import { createLogger, type Logger } from '../../log/logger';
import { MemoryRegistry } from '../../registry/memory';
import type { Registry } from '../../registry/registry';
import { RedisRegistry } from '../../registry/redis';
import { loadAclKey } from '../acl-key';
import { redisTlsFiles } from '../../config/tls';
import { clientTlsOptions } from '../../tls/client';
import { reloadTlsOnSighup } from '../tls-reload';
import { addTlsFlags } from './tls-flags';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

const buildAuthenticator = (
  config: AgentConfig,
  registry: Registry,
  logger: Logger,
): Authenticator | undefined =>
  config.acl
    ? createAuthenticator({ keyMaterial: loadAclKey(config.acl_key!), registry, logger })
    : undefined;

/** Config problems throw ConfigError: main.ts prints its one line and exits 2 (usage error). */
const run = async (flags: AgentFlags): Promise<void> => {
  const config = loadAgentConfig(flags, process.env);
  const logger = createLogger({ level: config.log_level, name: 'agent' });
  const registry: Registry | undefined = config.redis
    ? await RedisRegistry.connect({
        url: config.redis,
        prefix: config.registry_prefix,
        tls: clientTlsOptions(redisTlsFiles(config)),
        onError: throttledWarn(
          logger,
          'redis unreachable; retrying (the registry catches up when it returns)',
        ),
      })
    : undefined;
  // Without Redis, ACL policies can only come from tokens' inline rules: use an empty store.
  const authenticator = buildAuthenticator(config, registry ?? new MemoryRegistry(), logger);
  const agent = await startAgent(config, {
    logger,
    ...(registry ? { registry } : {}),
    ...(authenticator ? { authenticator } : {}),
  });
  process.stdout.write(`fleetgate agent listening on ${agent.url}\nnode id ${agent.nodeId}\n`);

  let signalled = false;
  const shutdown = (sig: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal: sig }, 'stopping agent');
    agent
      .stop()
      .then(() => registry?.close())
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

/** `fleetgate agent …`: every flag also has a FLEETGATE_* twin and a config key. */
export const register = (program: Command): void => {
  const cmd = program
    .command('agent')
    .description(
      'Run a node agent: serve /v1/client/* for this node, run its configured allocations, register in Redis',
    )
    .option('--config <file>', 'JSON config file (snake_case keys: http_addr, data_dir, allocations, ...)')
    .option('--http-addr <host:port>', 'listen address (port 0 picks a free port)')
    .option('--data-dir <dir>', 'agent state and allocation directories')
    .option('--node-name <name>', 'node name (default: the node id)')
    .option('--datacenter <dc>', 'datacenter')
    .option('--meta <k=v>', 'static node metadata (repeatable)', collect)
    .option('--advertise <url>', 'base URL the gateway uses to reach this agent')
    .option('--redis <url>', 'registry (redis://host:port)')
    .option('--registry-prefix <prefix>', 'registry key prefix')
    .option('--acl', 'enforce ACL tokens')
    .option('--acl-key <file>', 'ES256 public key (PEM) or HS256 secret used to verify tokens')
    .option('--heartbeat-interval-ms <ms>', 'registry heartbeat interval')
    .option('--max-followers-total <n>', 'concurrent follow streams on this agent (0 = unlimited)')
    .option('--max-followers-per-alloc <n>', 'concurrent follow streams per allocation (0 = unlimited)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent');
  addTlsFlags(cmd).action(run);
};

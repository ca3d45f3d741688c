import fs from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../../config/sources';
import { createAuthenticator } from '../../acl/authenticator';
import { canSign } from '../../acl/keys';
import { createAssertionSigner } from '../../acl/assertion';
import { createSigner } from '../../acl/token';
import { aclDisabled } from '../../acl/disabled';
import { loadGatewayConfig, type GatewayFlags } from '../../config/gateway';
import { RemoteForwarder } from '../../forward/remote';
import { throttledWarn } from '../../log/throttle';
import { createLogger } from '../../log/logger';
import { createMetrics } from '../../log/metrics';
import { CachedRegistry } from '../../registry/cached';
import { NodeLiveness } from '../../registry/liveness';
import { RedisRegistry } from '../../registry/redis';
import { createAclApi } from '../../router/acl-api';
import { createGatewayApp } from '../../router/app';
import { StreamQuota } from '../../router/stream-quota';
import { createNodeApi } from '../../router/node-api';
import { NodeAdmission } from '../../registry/admission';
import { AclStateFeed } from '../../acl/state-feed';
import { loadAclKey } from '../acl-key';
import { listen } from './gateway-serve';
import { reloadTlsOnSighup } from '../tls-reload';
import { addTlsFlags } from './tls-flags';
import { redisTlsFiles, serverTlsFiles } from '../../config/tls';
import { clientTlsOptions } from '../../tls/client';

const readSecretFile = (file: string, key: string): string => {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new ConfigError(`config: ${key}: cannot read ${file}: ${(e as Error).message}`);
  }
  if (text.length < 16) throw new ConfigError(`config: ${key}: ${file} holds fewer than 16 characters`);
  return text;
};

/** Config problems throw ConfigError: main.ts prints its one line and exits 2. */
const run = async (flags: GatewayFlags): Promise<void> => {
  const config = loadGatewayConfig(flags, process.env);
  const keys = config.acl ? loadAclKey(config.acl_key!) : undefined;
  const logger = createLogger({ level: config.log_level, name: 'gateway' });
  const metrics = createMetrics({ role: 'gateway' });
  const redis = await RedisRegistry.connect({
    url: config.redis,
    prefix: config.registry_prefix,
    tls: clientTlsOptions(redisTlsFiles(config)),
    onError: throttledWarn(logger, 'redis unreachable; retrying (the registry catches up when it returns)'),
  });
  const registry = new CachedRegistry(redis, {
    max: config.cache_max_entries,
    heartbeatTtlMs: config.heartbeat_ttl_ms,
    aclMaxAgeMs: config.acl_cache_max_age_ms,
    observer: { hit: metrics.cacheHit, miss: metrics.cacheMiss, registryError: metrics.registryError },
  });
  // Lapsed heartbeats become index changes, so blocking queries on node status wake.
  const liveness = new NodeLiveness(registry, {
    onError: throttledWarn(logger, 'could not record a lapsed node heartbeat in the registry; retrying'),
  });
  await liveness.start();
  const authenticator = keys ? createAuthenticator({ keyMaterial: keys, registry, logger }) : aclDisabled;
  // The gateway's own certificate is its client certificate towards agents (mutual TLS).
  let agentTls = clientTlsOptions({ ca: config.tls_ca, cert: config.tls_cert, key: config.tls_key });
  const forwarder = new RemoteForwarder({
    tls: agentTls,
    agentServerName: config.tls_agent_server_name,
    logger: logger.child({ component: 'forward' }),
    connectTimeoutMs: config.connect_timeout_ms,
    idleTimeoutMs: config.idle_timeout_ms,
  });
  const aclApi = createAclApi({
    registry,
    authenticator,
    logger,
    ...(keys && canSign(keys) ? { signer: createSigner(keys) } : {}),
  });
  const streamQuota = new StreamQuota({
    perToken: config.max_streams_per_token,
    anonymous: config.max_streams_anonymous,
    total: config.max_streams_total,
  }).observe(metrics.quota);
  const aclFeed = keys
    ? new AclStateFeed({ registry, keys, maxAgeMs: config.acl_cache_max_age_ms })
    : undefined;
  const nodeApi = createNodeApi({
    admission: new NodeAdmission(
      registry,
      logger.child({ component: 'node-api' }),
      config.node_join_token ? readSecretFile(config.node_join_token, 'node_join_token') : undefined,
    ),
    authenticator,
    logger,
    ...(aclFeed ? { aclFeed } : {}),
  });
  // Callers' tokens stay here: agents get a node assertion signed with the ACL key instead.
  const assertions = keys && canSign(keys) ? createAssertionSigner(keys) : undefined;
  if (keys && !assertions)
    logger.warn(
      "the ACL key is a public key only: this gateway cannot sign node assertions, so it forwards callers' tokens to agents; give it the private key",
    );
  const app = createGatewayApp({
    registry,
    forwarder,
    authenticator,
    logger,
    metrics,
    aclApi,
    nodeApi,
    ...(assertions ? { assertions } : {}),
    streamQuota,
    jobLogs: { graceMs: config.job_logs_grace_ms },
    agentTls: () => ({
      ...agentTls,
      ...(config.tls_agent_server_name ? { servername: config.tls_agent_server_name } : {}),
    }),
  });
  const { server, url, reload } = await listen(app, config.http_addr, {
    tls: serverTlsFiles(config),
    logger: logger.child({ component: 'tls' }),
  });
  process.stdout.write(`fleetgate gateway listening on ${url}\n`);

  const shutdown = () => {
    server.close();
    server.closeAllConnections();
    liveness.stop();
    forwarder.close();
    aclFeed?.close();
    void registry.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  reloadTlsOnSighup(
    [
      reload,
      () => {
        agentTls = clientTlsOptions({ ca: config.tls_ca, cert: config.tls_cert, key: config.tls_key });
        forwarder.setTls(agentTls);
      },
    ],
    logger,
  );
};

/** `fleetgate gateway --http-addr H:P --redis URL [--acl --acl-key FILE] [--config FILE]`. */
export const register = (program: Command): void => {
  const cmd = program
    .command('gateway')
    .description('Run a gateway: resolve nodes in Redis, check ACLs, stream /v1/client/* to agents')
    .option('--config <file>', 'JSON config file (snake_case keys)')
    .option('--http-addr <host:port>', 'listen address (port 0 picks a free port)')
    .option('--redis <url>', 'registry (redis://host:port)')
    .option('--registry-prefix <prefix>', 'registry key prefix')
    .option('--acl', 'enforce ACL tokens')
    .option('--acl-key <file>', 'ES256 private key (PEM) or HS256 secret used to sign and verify tokens')
    .option('--connect-timeout-ms <ms>', 'TCP connect timeout to agents')
    .option('--idle-timeout-ms <ms>', 'idle timeout for non-streaming forwarded requests')
    .option('--max-streams-per-token <n>', 'concurrent streaming requests per token accessor (0 = unlimited)')
    .option('--max-streams-anonymous <n>', 'concurrent streaming requests without a token (0 = unlimited)')
    .option('--max-streams-total <n>', 'concurrent streaming requests in total (0 = unlimited)')
    .option('--job-logs-grace-ms <ms>', 'a followed job stream ends this long after its last allocation')
    .option('--node-join-token <file>', 'a join token accepted besides API-created ones (automated set-ups)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent');
  addTlsFlags(cmd)
    .option(
      '--tls-agent-server-name <name>',
      "name agents' certificates must carry, e.g. client.global.fleetgate (default: each agent's advertised host)",
    )
    .action(run);
};

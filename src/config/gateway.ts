import { z } from 'zod';
import { DEFAULTS } from './defaults';
import { redisUrlSchema } from './redis-url';
import { redisTlsKeys, refineTls, tlsConfigKeys, tlsFromFlags, TLS_ENV_TWINS, type TlsFlags } from './tls';
import {
  defined,
  fromEnv,
  hostPort,
  logLevel,
  num,
  readConfigFile,
  validate,
  type EnvTwins,
} from './sources';

/**
 * `fleetgate gateway` configuration: flags win over `FLEETGATE_*` env twins, which win over the
 * JSON config file (`--config FILE`, snake_case keys), which wins over defaults. One zod schema
 * validates the merge, so any bad value gives one line naming the key (exit 2).
 */
export const GatewayConfigSchema = z
  .object({
    http_addr: hostPort.default(DEFAULTS.httpAddr),
    redis: redisUrlSchema,
    registry_prefix: z.string().default(DEFAULTS.registryPrefix),
    acl: z.boolean().default(false),
    acl_key: z.string().min(1).optional(),
    connect_timeout_ms: z.number().int().min(1).default(DEFAULTS.connectTimeoutMs),
    idle_timeout_ms: z.number().int().min(1).default(DEFAULTS.idleTimeoutMs),
    cache_max_entries: z.number().int().min(1).default(DEFAULTS.cacheMaxEntries),
    heartbeat_ttl_ms: z
      .number()
      .int()
      .min(1)
      .default(DEFAULTS.heartbeatIntervalMs * DEFAULTS.heartbeatTtlFactor),
    /** Longest a cached policy or revocation is trusted without a change message. */
    acl_cache_max_age_ms: z.number().int().min(1).default(DEFAULTS.aclCacheMaxAgeMs),
    /** File with a join token accepted besides those created through the API (compose). */
    node_join_token: z.string().min(1).optional(),
    log_level: logLevel,
    max_streams_per_token: z.number().int().min(0).default(DEFAULTS.maxStreamsPerToken),
    max_streams_anonymous: z.number().int().min(0).default(DEFAULTS.maxStreamsAnonymous),
    max_streams_total: z.number().int().min(0).default(DEFAULTS.maxStreamsTotal),
    job_logs_grace_ms: z.number().int().min(0).default(DEFAULTS.jobLogsGraceMs),
    ...tlsConfigKeys,
    /** Name agents' certificates must carry (e.g. client.global.fleetgate); default: their advertised host. */
    tls_agent_server_name: z.string().min(1).optional(),
    ...redisTlsKeys,
  })
  .strict()
  .refine((c) => !c.acl || c.acl_key !== undefined, {
    message: 'acl is on but acl_key is not set',
    path: ['acl_key'],
  })
  .superRefine(refineTls);

export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;

export interface GatewayFlags extends TlsFlags {
  tlsAgentServerName?: string;
  config?: string;
  httpAddr?: string;
  redis?: string;
  registryPrefix?: string;
  acl?: boolean;
  aclKey?: string;
  connectTimeoutMs?: string;
  idleTimeoutMs?: string;
  logLevel?: string;
  maxStreamsPerToken?: string;
  maxStreamsAnonymous?: string;
  maxStreamsTotal?: string;
  jobLogsGraceMs?: string;
  nodeJoinToken?: string;
}

const ENV_TWINS: EnvTwins = {
  strings: {
    ...TLS_ENV_TWINS.strings,
    FLEETGATE_HTTP_ADDR: 'http_addr',
    FLEETGATE_REDIS: 'redis',
    FLEETGATE_TLS_AGENT_SERVER_NAME: 'tls_agent_server_name',
    FLEETGATE_REGISTRY_PREFIX: 'registry_prefix',
    FLEETGATE_ACL_KEY: 'acl_key',
    FLEETGATE_LOG_LEVEL: 'log_level',
    FLEETGATE_NODE_JOIN_TOKEN: 'node_join_token',
  },
  numbers: {
    FLEETGATE_CONNECT_TIMEOUT_MS: 'connect_timeout_ms',
    FLEETGATE_IDLE_TIMEOUT_MS: 'idle_timeout_ms',
    FLEETGATE_CACHE_MAX_ENTRIES: 'cache_max_entries',
    FLEETGATE_HEARTBEAT_TTL_MS: 'heartbeat_ttl_ms',
    FLEETGATE_ACL_CACHE_MAX_AGE_MS: 'acl_cache_max_age_ms',
    FLEETGATE_MAX_STREAMS_PER_TOKEN: 'max_streams_per_token',
    FLEETGATE_MAX_STREAMS_ANONYMOUS: 'max_streams_anonymous',
    FLEETGATE_MAX_STREAMS_TOTAL: 'max_streams_total',
    FLEETGATE_JOB_LOGS_GRACE_MS: 'job_logs_grace_ms',
  },
  booleans: { ...TLS_ENV_TWINS.booleans, FLEETGATE_ACL: 'acl' },
};

export const loadGatewayConfig = (flags: GatewayFlags, env: NodeJS.ProcessEnv): GatewayConfig => {
  const fromFlags = defined({
    http_addr: flags.httpAddr,
    redis: flags.redis,
    registry_prefix: flags.registryPrefix,
    acl: flags.acl,
    acl_key: flags.aclKey,
    connect_timeout_ms: num(flags.connectTimeoutMs),
    idle_timeout_ms: num(flags.idleTimeoutMs),
    log_level: flags.logLevel,
    max_streams_per_token: num(flags.maxStreamsPerToken),
    max_streams_anonymous: num(flags.maxStreamsAnonymous),
    max_streams_total: num(flags.maxStreamsTotal),
    job_logs_grace_ms: num(flags.jobLogsGraceMs),
    ...tlsFromFlags(flags),
    tls_agent_server_name: flags.tlsAgentServerName,
    node_join_token: flags.nodeJoinToken,
  });
  return validate(GatewayConfigSchema, {
    ...readConfigFile(flags.config, env),
    ...fromEnv(env, ENV_TWINS),
    ...fromFlags,
  });
};

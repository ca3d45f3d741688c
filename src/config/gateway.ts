import fs from 'node:fs';
import { z } from 'zod';
import { redisUrlSchema } from './redis-url';
import { ConfigError } from './agent';
import { DEFAULTS } from './defaults';

/**
 * `fleetgate gateway` configuration: flags win over `FLEETGATE_*` env twins, which win over the
 * JSON config file (`--config FILE`, snake_case keys), which wins over defaults. One zod schema
 * validates the merge, so any bad value gives one line naming the key (exit 2).
 */
const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'expected host:port (e.g. 127.0.0.1:4646)')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'port must be 0-65535');

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
    heartbeat_ttl_ms: z.number().int().min(1).default(DEFAULTS.heartbeatIntervalMs * DEFAULTS.heartbeatTtlFactor),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict()
  .refine((c) => !c.acl || c.acl_key !== undefined, { message: 'acl is on but acl_key is not set', path: ['acl_key'] });

export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;

export interface GatewayFlags {
  config?: string;
  httpAddr?: string;
  redis?: string;
  registryPrefix?: string;
  acl?: boolean;
  aclKey?: string;
  connectTimeoutMs?: string;
  idleTimeoutMs?: string;
  logLevel?: string;
}

const ENV_STRINGS: Record<string, keyof GatewayConfig> = {
  FLEETGATE_HTTP_ADDR: 'http_addr',
  FLEETGATE_REDIS: 'redis',
  FLEETGATE_REGISTRY_PREFIX: 'registry_prefix',
  FLEETGATE_ACL_KEY: 'acl_key',
  FLEETGATE_LOG_LEVEL: 'log_level',
};
const ENV_NUMBERS: Record<string, keyof GatewayConfig> = {
  FLEETGATE_CONNECT_TIMEOUT_MS: 'connect_timeout_ms',
  FLEETGATE_IDLE_TIMEOUT_MS: 'idle_timeout_ms',
  FLEETGATE_CACHE_MAX_ENTRIES: 'cache_max_entries',
  FLEETGATE_HEARTBEAT_TTL_MS: 'heartbeat_ttl_ms',
};

// Numbers/booleans from strings stay strings when they do not parse, so zod names the key.
const num = (v: string | undefined): number | string | undefined => (v === undefined || v === '' ? undefined : /^\d+$/.test(v) ? Number(v) : v);
const bool = (v: string | undefined): boolean | string | undefined =>
  v === undefined || v === '' ? undefined : ['1', 'true'].includes(v) ? true : ['0', 'false'].includes(v) ? false : v;
const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const readConfigFile = (file: string): Record<string, unknown> => {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`config: cannot use ${file}: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigError(`config: ${file} must hold a JSON object`);
  return json as Record<string, unknown>;
};

export const loadGatewayConfig = (flags: GatewayFlags, env: NodeJS.ProcessEnv): GatewayConfig => {
  const configFile = flags.config ?? env['FLEETGATE_CONFIG'];
  const file = configFile ? readConfigFile(configFile) : {};
  const fromEnv: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV_STRINGS)) if (env[name]) fromEnv[key] = env[name];
  for (const [name, key] of Object.entries(ENV_NUMBERS)) if (env[name]) fromEnv[key] = num(env[name]);
  if (env['FLEETGATE_ACL'] !== undefined) fromEnv['acl'] = bool(env['FLEETGATE_ACL']);
  const fromFlags = defined({
    http_addr: flags.httpAddr,
    redis: flags.redis,
    registry_prefix: flags.registryPrefix,
    acl: flags.acl,
    acl_key: flags.aclKey,
    connect_timeout_ms: num(flags.connectTimeoutMs),
    idle_timeout_ms: num(flags.idleTimeoutMs),
    log_level: flags.logLevel,
  });
  const parsed = GatewayConfigSchema.safeParse({ ...file, ...fromEnv, ...fromFlags });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path.length ? issue.path.map(String).join('.') : 'config';
    throw new ConfigError(`config: ${key}: ${issue.message}`);
  }
  return parsed.data;
};

import fs from 'node:fs';
import { z } from 'zod';
import { redisUrlSchema } from './redis-url';
import { DEFAULTS } from './defaults';

/**
 * `fleetgate agent` configuration (design.md "Command line"): flags win over `FLEETGATE_*`
 * env twins, which win over the JSON config file (`--config FILE`, snake_case keys), which
 * wins over defaults. Every source is validated by one zod schema so a bad value in any of
 * them produces the same one-line error naming the key.
 */
const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'expected host:port (e.g. 127.0.0.1:4646)')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'port must be 0-65535');

const metaKey = z.string().regex(/^[^=\s]+$/, 'meta keys must be non-empty without "=" or spaces');

export const TaskLogsSchema = z
  .object({
    max_files: z.number().int().min(1).default(DEFAULTS.logMaxFiles),
    /** Fractions allowed (e.g. 0.05) so tests can rotate without writing tens of megabytes. */
    max_file_size_mb: z.number().positive().default(DEFAULTS.logMaxFileSizeMb),
  })
  .strict();

export const TaskSpecSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'task names are letters, digits, "_", "-", "."'),
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    logs: TaskLogsSchema.default({ max_files: DEFAULTS.logMaxFiles, max_file_size_mb: DEFAULTS.logMaxFileSizeMb }),
  })
  .strict();

export const AllocationSpecSchema = z
  .object({
    job: z.string().min(1),
    group: z.string().min(1).optional(),
    namespace: z.string().min(1).default('default'),
    /** Distinguishes several allocations of one job/group (part of the stable id key). */
    index: z.number().int().nonnegative().default(0),
    tasks: z.array(TaskSpecSchema).min(1),
  })
  .strict()
  .superRefine((a, ctx) => {
    const names = a.tasks.map((t) => t.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) ctx.addIssue({ code: 'custom', message: `duplicate task name "${dup}"`, path: ['tasks'] });
  });

export type TaskSpec = z.infer<typeof TaskSpecSchema>;
export type AllocationSpec = z.infer<typeof AllocationSpecSchema>;

export const AgentConfigSchema = z
  .object({
    http_addr: hostPort.default(DEFAULTS.httpAddr),
    data_dir: z.string().min(1),
    node_name: z.string().min(1).optional(),
    datacenter: z.string().min(1).default(DEFAULTS.datacenter),
    meta: z.record(metaKey, z.string()).default({}),
    advertise: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
    redis: redisUrlSchema.optional(),
    registry_prefix: z.string().default(DEFAULTS.registryPrefix),
    acl: z.boolean().default(false),
    acl_key: z.string().min(1).optional(),
    heartbeat_interval_ms: z.number().int().min(100).default(DEFAULTS.heartbeatIntervalMs),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    allocations: z.array(AllocationSpecSchema).default([]),
  })
  .strict()
  .refine((c) => !c.acl || c.acl_key !== undefined, { message: 'acl is on but acl_key is not set', path: ['acl_key'] });

export type AgentConfig = z.infer<typeof AgentConfigSchema>;

/** A config problem: the CLI prints `fleetgate: config: <message>` and exits 2. */
export class ConfigError extends Error {
  readonly exitCode = 2;
}

/** `k=v` pairs (repeatable `--meta`, comma-separated in FLEETGATE_META). */
export const parseMetaPairs = (pairs: readonly string[], source: string): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new ConfigError(`${source}: "${p}" is not key=value`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
};

/** Flag values as commander gives them (camelCase); undefined = not given. */
export interface AgentFlags {
  config?: string;
  httpAddr?: string;
  dataDir?: string;
  nodeName?: string;
  datacenter?: string;
  meta?: string[];
  advertise?: string;
  redis?: string;
  registryPrefix?: string;
  acl?: boolean;
  aclKey?: string;
  heartbeatIntervalMs?: string;
  logLevel?: string;
}

const ENV_KEYS: Record<string, keyof AgentConfig> = {
  FLEETGATE_HTTP_ADDR: 'http_addr',
  FLEETGATE_DATA_DIR: 'data_dir',
  FLEETGATE_NODE_NAME: 'node_name',
  FLEETGATE_DATACENTER: 'datacenter',
  FLEETGATE_ADVERTISE: 'advertise',
  FLEETGATE_REDIS: 'redis',
  FLEETGATE_REGISTRY_PREFIX: 'registry_prefix',
  FLEETGATE_ACL_KEY: 'acl_key',
  FLEETGATE_LOG_LEVEL: 'log_level',
};

const num = (v: string | undefined): number | string | undefined =>
  v === undefined || v === '' ? undefined : /^\d+$/.test(v) ? Number(v) : v;
const bool = (v: string | undefined): boolean | string | undefined =>
  v === undefined || v === '' ? undefined : ['1', 'true'].includes(v) ? true : ['0', 'false'].includes(v) ? false : v;

const defined = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const readConfigFile = (file: string): Record<string, unknown> => {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`config: cannot read ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config: ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError(`config: ${file} must hold a JSON object`);
  }
  return json as Record<string, unknown>;
};

/** Merge file < env < flags and validate. Throws ConfigError with one line naming the key. */
export const loadAgentConfig = (flags: AgentFlags, env: NodeJS.ProcessEnv): AgentConfig => {
  const configFile = flags.config ?? env['FLEETGATE_CONFIG'];
  const file = configFile ? readConfigFile(configFile) : {};
  const fromEnv: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV_KEYS)) if (env[name]) fromEnv[key] = env[name];
  if (env['FLEETGATE_ACL'] !== undefined) fromEnv['acl'] = bool(env['FLEETGATE_ACL']);
  if (env['FLEETGATE_HEARTBEAT_INTERVAL_MS']) fromEnv['heartbeat_interval_ms'] = num(env['FLEETGATE_HEARTBEAT_INTERVAL_MS']);
  const envMeta = env['FLEETGATE_META'] ? parseMetaPairs(env['FLEETGATE_META'].split(','), 'FLEETGATE_META') : undefined;
  const flagMeta = flags.meta?.length ? parseMetaPairs(flags.meta, '--meta') : undefined;
  const fromFlags = defined({
    http_addr: flags.httpAddr,
    data_dir: flags.dataDir,
    node_name: flags.nodeName,
    datacenter: flags.datacenter,
    advertise: flags.advertise,
    redis: flags.redis,
    registry_prefix: flags.registryPrefix,
    acl: flags.acl,
    acl_key: flags.aclKey,
    heartbeat_interval_ms: num(flags.heartbeatIntervalMs),
    log_level: flags.logLevel,
  });
  const fileMeta = typeof file['meta'] === 'object' && file['meta'] !== null ? (file['meta'] as Record<string, unknown>) : {};
  const merged: Record<string, unknown> = { ...file, ...fromEnv, ...fromFlags };
  // Meta merges key by key across sources rather than one source replacing another.
  if (envMeta || flagMeta || file['meta'] !== undefined) merged['meta'] = { ...fileMeta, ...envMeta, ...flagMeta };
  const parsed = AgentConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path.length ? issue.path.map(String).join('.') : 'config';
    throw new ConfigError(`config: ${key}: ${issue.message}`);
  }
  return parsed.data;
};

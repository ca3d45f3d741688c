import { z } from 'zod';
import { DEFAULTS } from './defaults';
import { advertiseOrigin, ADVERTISE_RULE } from '../wire/advertise';
import { dict, dictSchema, type Dict } from '../wire/dict';
import { redisTlsKeys, refineTls, tlsConfigKeys, tlsFromFlags, TLS_ENV_TWINS, type TlsFlags } from './tls';
import {
  ConfigError,
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
 * `fleetgate agent` configuration: flags win over `FLEETGATE_*`
 * env twins, which win over the JSON config file (`--config FILE`, snake_case keys), which
 * wins over defaults. Every source is validated by one zod schema so a bad value in any of
 * them produces the same one-line error naming the key.
 */
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
    env: dictSchema(z, z.string()).default(dict),
    logs: TaskLogsSchema.default({
      max_files: DEFAULTS.logMaxFiles,
      max_file_size_mb: DEFAULTS.logMaxFileSizeMb,
    }),
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
    meta: dictSchema(z, z.string(), metaKey).default(dict),
    advertise: z
      .string()
      .refine((u) => advertiseOrigin(u) !== undefined, { error: ADVERTISE_RULE })
      .optional(),
    /** Gateways to register with and follow ACL state from (failover in this order). */
    gateway: z
      .array(
        z
          .string()
          .refine((u) => advertiseOrigin(u) !== undefined, { error: `each gateway ${ADVERTISE_RULE}` }),
      )
      .default([]),
    /** File holding the join token (first registration only; later the node's own secret). */
    join_token: z.string().min(1).optional(),
    /** Refused with a pointer to the replacement: agents hold no registry credentials. */
    redis: z
      .never({
        error:
          'agents no longer talk to Redis: give gateway (--gateway URL[,URL...]) and join_token (--join-token FILE) instead',
      })
      .optional(),
    acl: z.boolean().default(false),
    /** Optional with gateways (they send the ES256 public key); needed for an HS256 secret. */
    acl_key: z.string().min(1).optional(),
    /** Longest the agent serves non-management tokens without hearing from any gateway. */
    acl_max_stale_ms: z.number().int().min(1000).default(DEFAULTS.aclMaxStaleMs),
    heartbeat_interval_ms: z.number().int().min(100).default(DEFAULTS.heartbeatIntervalMs),
    log_level: logLevel,
    max_followers_total: z.number().int().min(0).default(DEFAULTS.maxFollowersTotal),
    max_followers_per_alloc: z.number().int().min(0).default(DEFAULTS.maxFollowersPerAlloc),
    ...tlsConfigKeys,
    ...redisTlsKeys,
    allocations: z.array(AllocationSpecSchema).default([]),
  })
  .strict()
  .refine((c) => !c.acl || c.gateway.length > 0, {
    message:
      'acl is on but no gateway is set: agents learn policies and revocations from the gateways (--gateway URL)',
    path: ['gateway'],
  })
  .superRefine(refineTls);

export type AgentConfig = z.infer<typeof AgentConfigSchema>;

/** `k=v` pairs (repeatable `--meta`, comma-separated in FLEETGATE_META). */
export const parseMetaPairs = (pairs: readonly string[], source: string): Dict<string> => {
  const out = dict<string>();
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new ConfigError(`${source}: "${p}" is not key=value`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
};

/** Flag values as commander gives them (camelCase); undefined = not given. */
export interface AgentFlags extends TlsFlags {
  config?: string;
  httpAddr?: string;
  dataDir?: string;
  nodeName?: string;
  datacenter?: string;
  meta?: string[];
  advertise?: string;
  gateway?: string;
  joinToken?: string;
  acl?: boolean;
  aclKey?: string;
  aclMaxStaleMs?: string;
  heartbeatIntervalMs?: string;
  logLevel?: string;
  maxFollowersTotal?: string;
  maxFollowersPerAlloc?: string;
}

const ENV_TWINS: EnvTwins = {
  strings: {
    ...TLS_ENV_TWINS.strings,
    FLEETGATE_HTTP_ADDR: 'http_addr',
    FLEETGATE_DATA_DIR: 'data_dir',
    FLEETGATE_NODE_NAME: 'node_name',
    FLEETGATE_DATACENTER: 'datacenter',
    FLEETGATE_ADVERTISE: 'advertise',
    FLEETGATE_JOIN_TOKEN: 'join_token',
    FLEETGATE_ACL_KEY: 'acl_key',
    FLEETGATE_LOG_LEVEL: 'log_level',
  },
  numbers: {
    FLEETGATE_HEARTBEAT_INTERVAL_MS: 'heartbeat_interval_ms',
    FLEETGATE_MAX_FOLLOWERS_TOTAL: 'max_followers_total',
    FLEETGATE_MAX_FOLLOWERS_PER_ALLOC: 'max_followers_per_alloc',
    FLEETGATE_ACL_MAX_STALE_MS: 'acl_max_stale_ms',
  },
  booleans: { ...TLS_ENV_TWINS.booleans, FLEETGATE_ACL: 'acl' },
};

/** `a,b` → ['a','b'] (the gateway list in a flag or env twin); undefined stays undefined. */
const list = (v: string | undefined): string[] | undefined =>
  v === undefined
    ? undefined
    : v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

/** Merge file < env < flags and validate. Throws ConfigError with one line naming the key. */
export const loadAgentConfig = (flags: AgentFlags, env: NodeJS.ProcessEnv): AgentConfig => {
  const file = readConfigFile(flags.config, env);
  const envMeta = env['FLEETGATE_META']
    ? parseMetaPairs(env['FLEETGATE_META'].split(','), 'FLEETGATE_META')
    : undefined;
  const flagMeta = flags.meta?.length ? parseMetaPairs(flags.meta, '--meta') : undefined;
  const fromFlags = defined({
    http_addr: flags.httpAddr,
    data_dir: flags.dataDir,
    node_name: flags.nodeName,
    datacenter: flags.datacenter,
    advertise: flags.advertise,
    gateway: list(flags.gateway),
    join_token: flags.joinToken,
    acl: flags.acl,
    acl_key: flags.aclKey,
    acl_max_stale_ms: num(flags.aclMaxStaleMs),
    heartbeat_interval_ms: num(flags.heartbeatIntervalMs),
    log_level: flags.logLevel,
    max_followers_total: num(flags.maxFollowersTotal),
    max_followers_per_alloc: num(flags.maxFollowersPerAlloc),
    ...tlsFromFlags(flags),
  });
  const fileMeta =
    typeof file['meta'] === 'object' && file['meta'] !== null
      ? (file['meta'] as Record<string, unknown>)
      : {};
  const envGateway = list(env['FLEETGATE_GATEWAY']);
  const merged: Record<string, unknown> = {
    ...file,
    ...fromEnv(env, ENV_TWINS),
    ...(envGateway ? { gateway: envGateway } : {}),
    ...fromFlags,
  };
  // Meta merges key by key across sources rather than one source replacing another.
  if (envMeta || flagMeta || file['meta'] !== undefined)
    merged['meta'] = { ...fileMeta, ...envMeta, ...flagMeta };
  return validate(AgentConfigSchema, merged);
};

import fs from 'node:fs';
import { z } from 'zod';
import { bool, num } from './coerce';

/**
 * What every role's configuration shares: the sources (JSON file < FLEETGATE_* env < flags), their
 * string-to-value coercion, and one validation step. A bad value in any source gives the same
 * one line naming the key, which the CLI prints before exiting 2.
 */

/** A config problem: the CLI prints `fleetgate: config: <message>` and exits 2. */
export class ConfigError extends Error {
  readonly exitCode = 2;
}

export const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'expected host:port (e.g. 127.0.0.1:4646)')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'port must be 0-65535');

export const logLevel = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  .default('info');

export { bool, num };

/** Only the keys that were given: an absent flag must not hide the env or file value. */
export const defined = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** The `--config` file (or FLEETGATE_CONFIG): a JSON object with snake_case keys. */
export const readConfigFile = (
  flagValue: string | undefined,
  env: NodeJS.ProcessEnv,
): Record<string, unknown> => {
  const file = flagValue ?? env['FLEETGATE_CONFIG'];
  if (!file) return {};
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

export interface EnvTwins {
  strings?: Record<string, string>;
  numbers?: Record<string, string>;
  booleans?: Record<string, string>;
}

/** The FLEETGATE_* variables that are set, under their config keys. */
export const fromEnv = (env: NodeJS.ProcessEnv, twins: EnvTwins): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(twins.strings ?? {})) if (env[name]) out[key] = env[name];
  for (const [name, key] of Object.entries(twins.numbers ?? {})) if (env[name]) out[key] = num(env[name]);
  for (const [name, key] of Object.entries(twins.booleans ?? {}))
    if (env[name] !== undefined) out[key] = bool(env[name]);
  return out;
};

/** Validate the merged sources; the first problem becomes `config: <key>: <what is wrong>`. */
export const validate = <S extends z.ZodType>(schema: S, merged: Record<string, unknown>): z.infer<S> => {
  const parsed = schema.safeParse(merged);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const key = issue.path.length ? issue.path.map(String).join('.') : 'config';
  throw new ConfigError(`config: ${key}: ${issue.message}`);
};

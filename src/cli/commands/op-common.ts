import type tls from 'node:tls';
import { Option, type Command } from 'commander';
import { bool } from '../../config/coerce';
import { clientTlsOptions } from '../../tls/client';
import { DIRECT_MODES, FleetgateClient, type DirectMode } from '../../api';
import { describe, usage } from '../output/errors';
import { exitQuietlyOnEpipe } from '../output/write';
import { parseGoDuration } from '../../wire/duration';

/** Options every operator command takes (named as the `nomad` CLI names them). */
export interface CommonOptions {
  address?: string;
  token?: string;
  json?: boolean;
  verbose?: boolean;
  direct?: string;
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
  tlsServerName?: string;
  tlsSkipVerify?: boolean;
}

export const DEFAULT_ADDRESS = 'http://127.0.0.1:4646';

/**
 * Nomad spells long flags with one dash (`-json`, `-stderr`, `-node-id`); commander would read
 * `-json` as `-j -s -o -n`. Rewriting the known ones to `--x` before parsing keeps both spellings.
 */
export const NOMAD_FLAGS = new Set([
  'address',
  'token',
  'json',
  'verbose',
  'direct',
  'stderr',
  'tail',
  'stat',
  'type',
  'policy',
  'ttl',
  'name',
  'description',
  'node-id',
  'unset',
  'give-up',
  'follow',
  'task',
  'ca-cert',
  'client-cert',
  'client-key',
  'tls-server-name',
  'tls-skip-verify',
  'no-prefix',
  'namespace',
]);

export const normalizeNomadFlags = (
  argv: string[],
  from = 2,
  known: ReadonlySet<string> = NOMAD_FLAGS,
): string[] => {
  for (let i = from; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    const m = /^-([a-z][a-z-]+)(=.*)?$/.exec(a);
    if (m && known.has(m[1]!)) argv[i] = `--${m[1]}${m[2] ?? ''}`;
  }
  return argv;
};

/**
 * Each operator command's module calls prepareArgv when it registers, before commander parses,
 * so Nomad's single-dash flags work whichever command runs. Several modules may call it (help
 * loads them all); that is harmless because the rewrite is idempotent: `--x` never matches again.
 */
export const OPERATOR_COMMANDS = new Set(['alloc', 'job', 'node', 'operator', 'acl']);
export const prepareArgv = (argv: string[] = process.argv): void => {
  if (OPERATOR_COMMANDS.has(argv[2] ?? '')) normalizeNomadFlags(argv);
};

export const withCommonOptions = (cmd: Command): Command =>
  cmd
    .option('--address <url>', 'gateway address (env FLEETGATE_ADDR, NOMAD_ADDR)')
    .option('--token <secret>', 'ACL token (env FLEETGATE_TOKEN, NOMAD_TOKEN)')
    .option('--json', 'print JSON for scripts (also -json)')
    .option('-v, --verbose', 'say which path (node or gateway) each request took')
    .addOption(
      new Option(
        '--direct <mode>',
        'reach node agents directly: auto | always | never (env FLEETGATE_DIRECT)',
      ),
    )
    .option(
      '--ca-cert <file>',
      'CA to verify the gateway and nodes with (env NOMAD_CACERT, FLEETGATE_CACERT)',
    )
    .option(
      '--client-cert <file>',
      'client certificate for mutual TLS (env NOMAD_CLIENT_CERT, FLEETGATE_CLIENT_CERT)',
    )
    .option('--client-key <file>', 'key of --client-cert (env NOMAD_CLIENT_KEY, FLEETGATE_CLIENT_KEY)')
    .option(
      '--tls-server-name <name>',
      'name to check the server certificate against (env NOMAD_TLS_SERVER_NAME, FLEETGATE_TLS_SERVER_NAME)',
    )
    .option(
      '--tls-skip-verify',
      'do not verify server certificates (env NOMAD_SKIP_VERIFY, FLEETGATE_SKIP_VERIFY)',
    );

/** First of the flag, the FLEETGATE_* twin, then Nomad's variable. */
const pick = (flag: string | undefined, env: NodeJS.ProcessEnv, name: string, nomad: string) =>
  flag ?? (env[`FLEETGATE_${name}`] || undefined) ?? (env[nomad] || undefined);

/** TLS options from flags and environment, or undefined when none is given (plain or system CAs). */
export const tlsOf = (
  o: CommonOptions,
  env: NodeJS.ProcessEnv = process.env,
): tls.ConnectionOptions | undefined => {
  const skip = o.tlsSkipVerify ?? bool(pick(undefined, env, 'SKIP_VERIFY', 'NOMAD_SKIP_VERIFY'));
  const files = {
    ca: pick(o.caCert, env, 'CACERT', 'NOMAD_CACERT'),
    cert: pick(o.clientCert, env, 'CLIENT_CERT', 'NOMAD_CLIENT_CERT'),
    key: pick(o.clientKey, env, 'CLIENT_KEY', 'NOMAD_CLIENT_KEY'),
    serverName: pick(o.tlsServerName, env, 'TLS_SERVER_NAME', 'NOMAD_TLS_SERVER_NAME'),
    skipVerify: skip === true,
  };
  if (!files.ca && !files.cert && !files.key && !files.serverName && !files.skipVerify) return undefined;
  return clientTlsOptions(files);
};

export const addressOf = (o: CommonOptions, env: NodeJS.ProcessEnv = process.env): string =>
  o.address ?? env['FLEETGATE_ADDR'] ?? env['NOMAD_ADDR'] ?? DEFAULT_ADDRESS;

export const clientFor = (o: CommonOptions, env: NodeJS.ProcessEnv = process.env): FleetgateClient => {
  const direct = o.direct ?? env['FLEETGATE_DIRECT'] ?? 'auto';
  if (!DIRECT_MODES.includes(direct as DirectMode))
    throw usage(`--direct must be one of ${DIRECT_MODES.join(', ')}, got "${direct}"`);
  const token = o.token ?? env['FLEETGATE_TOKEN'] ?? env['NOMAD_TOKEN'];
  return new FleetgateClient({
    address: addressOf(o, env),
    token: token || undefined,
    direct: direct as DirectMode,
    log: o.verbose ? (line) => process.stderr.write(`fleetgate: ${line}\n`) : undefined,
    tls: tlsOf(o, env),
  });
};

/**
 * Wraps a command action: the client is built from the command's options, and every error
 * becomes one message with a next step and exit code 1 (2 for usage), for main.ts to print.
 */
export const action =
  <A extends unknown[]>(
    fn: (client: FleetgateClient, opts: CommonOptions & Record<string, unknown>, ...args: A) => Promise<void>,
  ) =>
  async (...raw: unknown[]): Promise<void> => {
    const cmd = raw[raw.length - 1] as Command;
    const opts = cmd.opts<CommonOptions & Record<string, unknown>>();
    const args = raw.slice(0, -2) as A;
    exitQuietlyOnEpipe();
    try {
      await fn(clientFor(opts), opts, ...args);
    } catch (err) {
      throw describe(err, addressOf(opts));
    }
  };

/** A Go duration (`8h`, `1h30m`, `90s`, `500ms`), or plain milliseconds. */
export const parseDuration = (s: string): number => {
  const t = s.trim();
  if (/^\d+$/.test(t)) return Number(t);
  let ms: number;
  try {
    ms = parseGoDuration(t);
  } catch {
    throw usage(`invalid duration "${s}" (use e.g. 500ms, 30s, 5m, 1h30m)`);
  }
  if (ms < 0) throw usage(`invalid duration "${s}": must not be negative`);
  return ms;
};

export const parseCount =
  (flag: string) =>
  (v: string): number => {
    if (!/^\d+$/.test(v)) throw usage(`${flag} must be a non-negative integer, got "${v}"`);
    return Number(v);
  };

/** The tail/follow flags `alloc logs` and `alloc fs` share (Nomad's -f, -tail, -n, -c). */
export const withTailOptions = (cmd: Command, followHelp: string): Command =>
  cmd
    .option('-f, --follow', followHelp)
    .option('--tail', 'start near the end (10 lines unless -n or -c)')
    .option('-n <lines>', 'last LINES lines (implies -tail)', parseCount('-n'))
    .option('-c <bytes>', 'last BYTES bytes (implies -tail)', parseCount('-c'))
    .option(
      '--give-up <duration>',
      'with -f: stop reconnecting after the stream is down this long (default 60s, env FLEETGATE_FOLLOW_GIVE_UP)',
    );

export const out = (s: string): void => {
  process.stdout.write(s);
};

import fs from 'node:fs/promises';
import type { Command } from 'commander';
import type { AclToken } from '../../api';
import { json, keyValues } from '../output/format';
import { usage } from '../output/errors';
import { parseGoDuration } from '../../wire/duration';
import { action, out, prepareArgv, withCommonOptions } from './op-common';

const isGoDuration = (s: string): boolean => {
  try {
    return parseGoDuration(s) >= 0;
  } catch {
    return false;
  }
};

/**
 * `fleetgate acl bootstrap|policy apply|token create|token revoke` (the HTTP side). `acl keygen`
 * lives in acl-keygen.ts; whichever registers first creates `acl`, the other reuses it.
 */
export const register = (program: Command): void => {
  prepareArgv();
  const acl =
    program.commands.find((c) => c.name() === 'acl') ??
    program.command('acl').description('ACL tokens and policies');

  withCommonOptions(acl.command('bootstrap'))
    .description('create the initial management token (works once)')
    .action(
      action(async (client, opts) =>
        out(opts.json ? json(await client.aclBootstrap()) : formatToken(await client.aclBootstrap())),
      ),
    );

  const policy = acl.command('policy').description('ACL policies');
  withCommonOptions(
    policy
      .command('apply')
      .argument('<name>', 'policy name')
      .argument('<file>', 'policy document (JSON), "-" for stdin'),
  )
    .option('--description <text>', 'policy description')
    .description('create or update a policy')
    .action(
      action(async (client, opts, name: string, file: string) => {
        const rules =
          file === '-'
            ? await readStdin()
            : await fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
                throw usage(`cannot read policy file ${file}: ${e.code ?? e.message}`);
              });
        try {
          JSON.parse(rules);
        } catch (e) {
          throw usage(`policy file ${file} is not JSON: ${(e as Error).message}`);
        }
        const description = typeof opts['description'] === 'string' ? opts['description'] : '';
        await client.aclPolicyApply({ Name: name, Description: description, Rules: rules });
        out(
          opts.json
            ? json({ Name: name, Description: description })
            : `Successfully wrote "${name}" ACL policy!\n`,
        );
      }),
    );

  const token = acl.command('token').description('ACL tokens');
  withCommonOptions(token.command('create'))
    .option('--name <name>', 'token name', '')
    .option('--type <type>', 'client or management', 'client')
    .option('--policy <name>', 'policy to attach (repeatable)', (v: string, prev: string[] = []) => [
      ...prev,
      v,
    ])
    .option('--ttl <duration>', 'expiration, e.g. 8h')
    .description('create a token')
    .action(
      action(async (client, opts) => {
        const type = opts['type'];
        if (type !== 'client' && type !== 'management')
          throw usage(`-type must be client or management, got "${String(type)}"`);
        const policies = (opts['policy'] as string[] | undefined) ?? [];
        if (type === 'client' && policies.length === 0)
          throw usage('a client token needs at least one -policy NAME');
        const ttl = typeof opts['ttl'] === 'string' ? opts['ttl'] : undefined;
        if (ttl !== undefined && !isGoDuration(ttl))
          throw usage(`-ttl "${ttl}" is not a duration like 8h, 30m or 1h30m`);
        const t = await client.aclTokenCreate({
          Name: String(opts['name'] ?? ''),
          Type: type,
          Policies: policies,
          ...(ttl ? { ExpirationTTL: ttl } : {}),
        });
        out(opts.json ? json(t) : formatToken(t));
      }),
    );
  withCommonOptions(token.command('revoke').argument('<accessor>', 'accessor ID of the token'))
    .description('revoke a token')
    .action(
      action(async (client, opts, accessor: string) => {
        await client.aclTokenRevoke(accessor);
        out(
          opts.json
            ? json({ AccessorID: accessor, Revoked: true })
            : `Token ${accessor} successfully revoked\n`,
        );
      }),
    );
};

const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const formatToken = (t: AclToken): string =>
  keyValues([
    ['Accessor ID', t.AccessorID],
    ['Secret ID', t.SecretID],
    ['Name', t.Name ?? ''],
    ['Type', t.Type ?? ''],
    ['Policies', (t.Policies ?? []).join(', ') || 'n/a'],
    ['Expiry Time', t.ExpirationTime ?? '<none>'],
  ]);

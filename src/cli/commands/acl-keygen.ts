import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { generateEs256KeyPair } from '../../acl/keys';

export const PRIVATE_KEY_FILE = 'acl-private.pem';
export const PUBLIC_KEY_FILE = 'acl-public.pem';

/**
 * Write a fresh ES256 pair. The private key is created 0600 and never overwritten unless asked
 * (`wx`): replacing it silently would invalidate every token already issued.
 */
export const writeKeyPair = (dir: string, force = false): { privatePath: string; publicPath: string } => {
  fs.mkdirSync(dir, { recursive: true });
  const { privateKeyPem, publicKeyPem } = generateEs256KeyPair();
  const privatePath = path.join(dir, PRIVATE_KEY_FILE);
  const publicPath = path.join(dir, PUBLIC_KEY_FILE);
  const flag = force ? 'w' : 'wx';
  try {
    fs.writeFileSync(privatePath, privateKeyPem, { mode: 0o600, flag });
    fs.chmodSync(privatePath, 0o600); // `w` keeps an existing file's mode
    fs.writeFileSync(publicPath, publicKeyPem, { mode: 0o644, flag: 'w' });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EEXIST') {
      throw Object.assign(
        new Error(
          `${privatePath} already exists; pass --force to replace it (tokens signed with it stop working)`,
        ),
        {
          exitCode: 2,
        },
      );
    }
    throw err;
  }
  return { privatePath, publicPath };
};

/** `fleetgate acl keygen --out DIR`. `acl` may already exist (acl.ts registers it too). */
export const register = (program: Command): void => {
  const acl =
    program.commands.find((c) => c.name() === 'acl') ??
    program.command('acl').description('ACL tokens and policies');
  acl
    .command('keygen')
    .description('write an ES256 key pair for signing (gateway) and verifying (agents) ACL tokens')
    .requiredOption('--out <dir>', 'directory for acl-private.pem (0600) and acl-public.pem')
    .option('--force', 'replace existing key files')
    .action((opts: { out: string; force?: boolean }) => {
      const { privatePath, publicPath } = writeKeyPair(opts.out, opts.force === true);
      process.stdout.write(
        `wrote ${privatePath} (private, mode 0600) and ${publicPath}\n` +
          `gateway: fleetgate gateway --acl --acl-key ${privatePath} ...\n` +
          `agents:  fleetgate agent --acl --acl-key ${publicPath} ...\n` +
          `keep ${PRIVATE_KEY_FILE} on the gateway only; copy ${PUBLIC_KEY_FILE} to every node\n`,
      );
    });
};

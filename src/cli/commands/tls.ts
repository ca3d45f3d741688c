import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { DEFAULT_DOMAIN, DEFAULT_REGION } from '../../tls/names';
import { PemExistsError, writePemPair } from '../../tls/pem-files';
import type { CertRole, KeyType, Pem } from '../../tls/pki';
import { usage } from '../output/errors';
import { normalizeNomadFlags, parseCount } from './op-common';

/** Loaded on use: the X.509 library is only needed by these two commands, not by every CLI start. */
const pki = () => import('../../tls/pki');

/** Nomad spells these with one dash (`-server`, `-additional-dnsname`); both spellings work. */
const TLS_FLAGS = new Set([
  'server',
  'client',
  'cli',
  'ca',
  'key',
  'days',
  'domain',
  'region',
  'common-name',
  'additional-dnsname',
  'additional-ipaddress',
  'key-type',
  'out',
  'force',
]);

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** Certificate first, key 0600; an existing file is never replaced unless asked. */
const writePair = (outDir: string, names: { cert: string; key: string }, pem: Pem, force: boolean) => {
  try {
    return writePemPair(outDir, names, pem, force);
  } catch (e) {
    if (e instanceof PemExistsError) throw usage(e.message);
    throw e;
  }
};

const days = (v: string | undefined, dflt: number): number => {
  if (v === undefined) return dflt;
  const n = parseCount('-days')(v);
  if (n < 1) throw usage('-days must be at least 1');
  return n;
};

const keyType = (v: string | undefined): KeyType => {
  if (v === undefined || v === 'ec' || v === 'rsa') return v ?? 'ec';
  throw usage(`-key-type must be ec or rsa, got "${v}"`);
};

interface CaOpts {
  days?: string;
  domain?: string;
  commonName?: string;
  keyType?: string;
  out?: string;
  force?: boolean;
}

const caCreate = async (o: CaOpts): Promise<void> => {
  const { caFileNames, createCa } = await pki();
  const domain = o.domain ?? DEFAULT_DOMAIN;
  const pem = await createCa({
    days: days(o.days, 1825),
    keyType: keyType(o.keyType),
    ...(o.commonName ? { commonName: o.commonName } : {}),
  });
  const files = writePair(o.out ?? '.', caFileNames(domain), pem, Boolean(o.force));
  process.stdout.write(
    `==> CA certificate saved to: ${files.cert}\n==> CA certificate key saved to: ${files.key}\n` +
      `keep ${path.basename(files.key)} safe (it signs every certificate); copy ${path.basename(files.cert)} to every node and client\n`,
  );
};

interface CertOpts extends CaOpts {
  server?: boolean;
  client?: boolean;
  cli?: boolean;
  ca?: string;
  key?: string;
  region?: string;
  additionalDnsname?: string[];
  additionalIpaddress?: string[];
}

const roleOf = (o: CertOpts): CertRole => {
  const roles = (['server', 'client', 'cli'] as const).filter((r) => o[r]);
  if (roles.length !== 1) throw usage('give exactly one of -server, -client or -cli');
  return roles[0]!;
};

const readFile = (p: string, what: string, hint: string): string => {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch (e) {
    throw usage(`cannot read the ${what} ${p}: ${(e as Error).message}; ${hint}`);
  }
};

const certCreate = async (o: CertOpts): Promise<void> => {
  const role = roleOf(o);
  const { caFileNames, createLeaf, leafFileNames, roleProfile } = await pki();
  const domain = o.domain ?? DEFAULT_DOMAIN;
  const region = o.region ?? DEFAULT_REGION;
  const caNames = caFileNames(domain);
  const hint = `make one with: fleetgate tls ca create${domain === DEFAULT_DOMAIN ? '' : ` -domain ${domain}`}, or name it with -ca and -key`;
  const ca: Pem = {
    certPem: readFile(o.ca ?? caNames.cert, 'CA certificate', hint),
    keyPem: readFile(o.key ?? caNames.key, 'CA key', hint),
  };
  const ips = o.additionalIpaddress ?? [];
  const badIp = ips.find((ip) => net.isIP(ip) === 0);
  if (badIp) throw usage(`-additional-ipaddress "${badIp}" is not an IP address`);
  const profile = roleProfile(role, region, domain);
  const pem = await createLeaf({
    ca,
    days: days(o.days, 365),
    keyType: keyType(o.keyType),
    commonName: profile.commonName,
    dnsNames: [...new Set([...profile.dnsNames, ...(o.additionalDnsname ?? [])])],
    ipAddresses: [...new Set([...profile.ipAddresses, ...ips])],
    extKeyUsages: profile.extKeyUsages,
  }).catch((e: Error) => {
    throw usage(`cannot sign with the CA: ${e.message}`);
  });
  const files = writePair(o.out ?? '.', leafFileNames(role, region, domain), pem, Boolean(o.force));
  process.stdout.write(
    `==> Using CA file ${o.ca ?? caNames.cert} and CA key ${o.key ?? caNames.key}\n` +
      `==> ${role} certificate for ${profile.commonName} saved to: ${files.cert}\n` +
      `==> ${role} certificate key saved to: ${files.key}\n`,
  );
};

/** `fleetgate tls ca create` and `fleetgate tls cert create -server|-client|-cli`, as Nomad's. */
export const register = (program: Command): void => {
  if (process.argv[2] === 'tls') normalizeNomadFlags(process.argv, 3, TLS_FLAGS);
  const tls = program.command('tls').description('make a certificate authority and TLS certificates');
  const ca = tls.command('ca').description('certificate authority');
  ca.command('create')
    .description('write <domain>-agent-ca.pem and <domain>-agent-ca-key.pem (ECDSA P-256, 5 years)')
    .option('--days <n>', 'validity in days (default 1825)')
    .option('--domain <domain>', `domain of the cluster's names (default ${DEFAULT_DOMAIN})`)
    .option('--common-name <cn>', 'subject common name of the CA')
    .option('--key-type <type>', 'ec (P-256, default) or rsa (2048)')
    .option('--out <dir>', 'write into this directory (default: the current one)')
    .option('--force', 'replace existing files')
    .action(caCreate);
  const cert = tls.command('cert').description('certificates signed by the CA');
  cert
    .command('create')
    .description(
      'write <region>-<role>-<domain>.pem and -key.pem: -server (gateways), -client (agents), -cli (operators)',
    )
    .addOption(
      new Option('--server', 'gateway certificate: server.<region>.<domain>, serverAuth + clientAuth'),
    )
    .addOption(new Option('--client', 'agent certificate: client.<region>.<domain>, serverAuth + clientAuth'))
    .addOption(new Option('--cli', 'operator certificate: cli.<region>.<domain>, clientAuth only'))
    .option('--ca <file>', 'CA certificate (default <domain>-agent-ca.pem)')
    .option('--key <file>', 'CA key (default <domain>-agent-ca-key.pem)')
    .option('--days <n>', 'validity in days (default 365)')
    .option('--domain <domain>', `domain of the cluster's names (default ${DEFAULT_DOMAIN})`)
    .option('--region <region>', `region in the role name (default ${DEFAULT_REGION})`)
    .option('--additional-dnsname <name>', 'another DNS name in the certificate (repeatable)', collect)
    .option('--additional-ipaddress <ip>', 'another IP address in the certificate (repeatable)', collect)
    .option('--key-type <type>', 'ec (P-256, default) or rsa (2048)')
    .option('--out <dir>', 'write into this directory (default: the current one)')
    .option('--force', 'replace existing files')
    .action(certCreate);
};

// tsyringe (used inside @peculiar/x509) needs the Reflect metadata API before it loads.
import 'reflect-metadata';
import crypto, { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/**
 * Certificate authority and leaf certificates for a fleetgate cluster, made with @peculiar/x509
 * over Node's WebCrypto (no hand-written ASN.1). ECDSA P-256 by default, RSA 2048 on request.
 * The shapes follow Nomad's `nomad tls` commands: a CA that may only sign (keyCertSign, cRLSign),
 * leaves with digitalSignature + keyEncipherment + keyAgreement, `server`/`client` roles usable
 * for both serverAuth and clientAuth (agents and gateways dial each other), `cli` for clientAuth only.
 */
x509.cryptoProvider.set(webcrypto);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;
type EcKeyGenParams = webcrypto.EcKeyGenParams;
type RsaHashedKeyGenParams = webcrypto.RsaHashedKeyGenParams;
type EcdsaParams = webcrypto.EcdsaParams;

export type KeyType = 'ec' | 'rsa';
import type { CertRole } from './names';
export type { CertRole };

export interface Pem {
  certPem: string;
  keyPem: string;
}

const ALGS: Record<KeyType, RsaHashedKeyGenParams | EcKeyGenParams> = {
  ec: { name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams,
  rsa: {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  } as RsaHashedKeyGenParams,
};

const signingAlg = (type: KeyType): Algorithm =>
  type === 'ec'
    ? ({ name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams)
    : ({ name: 'RSASSA-PKCS1-v1_5' } as Algorithm);

const subtle = webcrypto.subtle;

const generate = async (type: KeyType): Promise<CryptoKeyPair> =>
  (await subtle.generateKey(ALGS[type], true, ['sign', 'verify'])) as CryptoKeyPair;

const toPem = async (key: CryptoKey): Promise<string> =>
  crypto
    .createPrivateKey({
      key: Buffer.from(await subtle.exportKey('pkcs8', key)),
      format: 'der',
      type: 'pkcs8',
    })
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();

/** A positive 128-bit serial (RFC 5280 asks for positive, at most 20 octets). */
const serial = (): string => {
  const b = crypto.randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
};

const DAY_MS = 86_400_000;
/** Backdated a minute so a peer whose clock runs slightly behind still accepts a fresh certificate. */
const CLOCK_SKEW_MS = 60_000;

export interface Validity {
  days: number;
  /** Default now; tests make expired certificates by moving it into the past. */
  now?: Date;
}

const window = (v: Validity): { notBefore: Date; notAfter: Date } => {
  const now = (v.now ?? new Date()).getTime();
  return { notBefore: new Date(now - CLOCK_SKEW_MS), notAfter: new Date(now + v.days * DAY_MS) };
};

export interface CaOptions extends Validity {
  commonName?: string;
  keyType?: KeyType;
}

export const createCa = async (o: CaOptions): Promise<Pem> => {
  const keyType = o.keyType ?? 'ec';
  const keys = await generate(keyType);
  const id = serial();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: id,
    name: `CN=${o.commonName ?? `Fleetgate Agent CA ${parseInt(id.slice(0, 12), 16)}`}, O=fleetgate`,
    ...window(o),
    keys,
    signingAlgorithm: signingAlg(keyType),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await toPem(keys.privateKey) };
};

/** Import the CA's PEM key for signing, whichever of the two key types it is. */
const importCaKey = async (keyPem: string): Promise<{ key: CryptoKey; type: KeyType }> => {
  const obj = crypto.createPrivateKey(keyPem);
  const der = obj.export({ type: 'pkcs8', format: 'der' });
  if (obj.asymmetricKeyType === 'ec') {
    const curve = obj.asymmetricKeyDetails?.namedCurve;
    if (curve !== 'prime256v1') throw new Error(`CA key: only the P-256 curve is supported, not ${curve}`);
    return { key: await subtle.importKey('pkcs8', der, ALGS.ec, false, ['sign']), type: 'ec' };
  }
  if (obj.asymmetricKeyType === 'rsa') {
    return { key: await subtle.importKey('pkcs8', der, ALGS.rsa, false, ['sign']), type: 'rsa' };
  }
  throw new Error(`CA key: unsupported key type ${obj.asymmetricKeyType}`);
};

export const LEAF_KEY_USAGE =
  x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyAgreement;

export const EKU = {
  serverAuth: x509.ExtendedKeyUsage.serverAuth,
  clientAuth: x509.ExtendedKeyUsage.clientAuth,
};

export interface LeafOptions extends Validity {
  ca: Pem;
  commonName: string;
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
  extKeyUsages: readonly string[];
  /** Default LEAF_KEY_USAGE; tests pass others to make certificates a peer must refuse. */
  keyUsage?: number;
  keyType?: KeyType;
}

export const createLeaf = async (o: LeafOptions): Promise<Pem> => {
  const ca = new x509.X509Certificate(o.ca.certPem);
  const signer = await importCaKey(o.ca.keyPem);
  const keys = await generate(o.keyType ?? 'ec');
  const names: x509.JsonGeneralName[] = [
    ...o.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...o.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${o.commonName}`,
    issuer: ca.subject,
    ...window(o),
    publicKey: keys.publicKey,
    signingKey: signer.key,
    signingAlgorithm: signingAlg(signer.type),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(o.keyUsage ?? LEAF_KEY_USAGE, true),
      new x509.ExtendedKeyUsageExtension([...o.extKeyUsages]),
      ...(names.length ? [new x509.SubjectAlternativeNameExtension(names)] : []),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await toPem(keys.privateKey) };
};

/**
 * Nomad's naming: `<role>.<region>.<domain>` is the certificate's first DNS name (so peers can
 * check a role instead of a host: `server.global.fleetgate`), plus `localhost` and 127.0.0.1 for
 * local tools. The CLI certificate is for clientAuth only: it must not be usable to serve.
 */
export const roleProfile = (
  role: CertRole,
  region: string,
  domain: string,
): { commonName: string; dnsNames: string[]; ipAddresses: string[]; extKeyUsages: string[] } => {
  const name = `${role}.${region}.${domain}`;
  if (role === 'cli')
    return {
      commonName: name,
      dnsNames: [name, 'localhost'],
      ipAddresses: [],
      extKeyUsages: [EKU.clientAuth],
    };
  return {
    commonName: name,
    dnsNames: [name, 'localhost'],
    ipAddresses: ['127.0.0.1'],
    extKeyUsages: [EKU.serverAuth, EKU.clientAuth],
  };
};

export { caFileNames, leafFileNames } from './names';

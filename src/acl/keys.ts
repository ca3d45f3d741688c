import crypto from 'node:crypto';
import fs from 'node:fs';
import type { KeyObject } from 'node:crypto';

/**
 * Key material decides the algorithm, never the token (the classic JWT confusion attack): an EC P-256 PEM means ES256 only, anything
 * else is an HS256 secret and means HS256 only. The token's own `alg` header never chooses.
 */
export type KeyMaterial =
  | { readonly alg: 'ES256'; readonly publicKey: KeyObject; readonly privateKey?: KeyObject }
  | { readonly alg: 'HS256'; readonly secret: KeyObject };

/** Shorter HS256 secrets are guessable offline from any captured token. */
export const MIN_HS256_SECRET_BYTES = 16;

export class KeyMaterialError extends Error {
  override name = 'KeyMaterialError';
}

const requireP256 = (key: KeyObject, source: string): void => {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
    throw new KeyMaterialError(
      `${source}: unsupported key (${key.asymmetricKeyType ?? 'unknown'}${curve ? ` ${curve}` : ''}); ` +
        'use an EC P-256 key pair from `fleetgate acl keygen` or an HS256 secret',
    );
  }
};

/** Interpret key file content. `source` names it in errors (a path, or "key"). */
export const parseKeyMaterial = (content: string | Buffer, source = 'key'): KeyMaterial => {
  const text = Buffer.isBuffer(content) ? content.toString('utf8') : content;
  if (text.includes('-----BEGIN')) {
    try {
      if (text.includes('PRIVATE KEY')) {
        const privateKey = crypto.createPrivateKey(text);
        requireP256(privateKey, source);
        return { alg: 'ES256', privateKey, publicKey: crypto.createPublicKey(privateKey) };
      }
      const publicKey = crypto.createPublicKey(text);
      requireP256(publicKey, source);
      return { alg: 'ES256', publicKey };
    } catch (e) {
      if (e instanceof KeyMaterialError) throw e;
      throw new KeyMaterialError(`${source}: cannot read PEM key: ${(e as Error).message}`);
    }
  }
  // A trailing newline from `echo secret > file` is not part of the secret.
  const secret = Buffer.from(text.replace(/\r?\n$/, ''), 'utf8');
  if (secret.length < MIN_HS256_SECRET_BYTES) {
    throw new KeyMaterialError(
      `${source}: HS256 secret is ${secret.length} bytes; use at least ${MIN_HS256_SECRET_BYTES} ` +
        '(e.g. `openssl rand -hex 32`) or an ES256 key pair from `fleetgate acl keygen`',
    );
  }
  return { alg: 'HS256', secret: crypto.createSecretKey(secret) };
};

/** Read `--acl-key FILE`. Errors carry the path so a bad config is one clear line. */
export const loadKeyMaterial = (file: string): KeyMaterial => {
  let content: Buffer;
  try {
    content = fs.readFileSync(file);
  } catch (e) {
    throw new KeyMaterialError(`cannot read ACL key ${file}: ${(e as Error).message}`);
  }
  return parseKeyMaterial(content, file);
};

/** Whether this material can issue tokens (the gateway needs it; agents only verify). */
export const canSign = (km: KeyMaterial): boolean => km.alg === 'HS256' || km.privateKey !== undefined;

export interface Es256KeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

/** A fresh ES256 pair: PKCS#8 private key and SPKI public key, both PEM. */
export const generateEs256KeyPair = (): Es256KeyPair => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
};

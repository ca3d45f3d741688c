import fs from 'node:fs';
import path from 'node:path';
import type { Pem } from './pki';

/** The two files of a certificate and its key. */
export interface PairPaths {
  cert: string;
  key: string;
}

/** Thrown when a file is in the way and replacing it was not asked for. */
export class PemExistsError extends Error {
  constructor(readonly file: string) {
    super(`${file} already exists; remove it or pass -force to replace it`);
    this.name = 'PemExistsError';
  }
}

/**
 * Certificate (0644) and key (0600) into `outDir`. An existing file is never replaced unless
 * `force`: a key that signs a cluster's certificates must not vanish by accident.
 */
export const writePemPair = (
  outDir: string,
  names: { cert: string; key: string },
  pem: Pem,
  force: boolean,
): PairPaths => {
  fs.mkdirSync(outDir, { recursive: true });
  const cert = path.join(outDir, names.cert);
  const key = path.join(outDir, names.key);
  const flag = force ? 'w' : 'wx';
  for (const p of [cert, key]) if (!force && fs.existsSync(p)) throw new PemExistsError(p);
  fs.writeFileSync(cert, pem.certPem, { mode: 0o644, flag });
  fs.writeFileSync(key, pem.keyPem, { mode: 0o600, flag });
  fs.chmodSync(key, 0o600); // `w` keeps an existing file's mode
  return { cert, key };
};

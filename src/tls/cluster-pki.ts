import fs from 'node:fs';
import {
  caFileNames,
  clusterPkiPaths,
  DEFAULT_DOMAIN,
  DEFAULT_REGION,
  leafFileNames,
  type CertRole,
  type ClusterPki,
} from './names';
import { writePemPair } from './pem-files';
import { createCa, createLeaf, roleProfile, type Pem } from './pki';

const ROLES: readonly CertRole[] = ['server', 'client', 'cli'];

export interface EnsureOptions {
  /** Extra DNS names for the server and client certificates (compose host names). */
  dnsNames?: readonly string[];
  /** Days the leaves are valid; the CA gets five times as long. */
  days?: number;
}

/**
 * The layout in `dir`, made when any file is missing (all of it anew, so the leaves always
 * chain to the CA next to them) and reused as it is otherwise: a kept `--dir` keeps working
 * with the certificates an operator already copied around.
 */
export const ensureClusterPki = async (
  dir: string,
  o: EnsureOptions = {},
): Promise<{ pki: ClusterPki; created: boolean }> => {
  const pki = clusterPkiPaths(dir);
  const all = [pki.ca, pki.server, pki.client, pki.cli].flatMap((p) => [p.cert, p.key]);
  if (all.every((f) => fs.existsSync(f))) return { pki, created: false };
  const days = o.days ?? 365;
  const ca: Pem = await createCa({ days: days * 5 });
  writePemPair(dir, caFileNames(DEFAULT_DOMAIN), ca, true);
  for (const role of ROLES) {
    const profile = roleProfile(role, DEFAULT_REGION, DEFAULT_DOMAIN);
    const dnsNames = role === 'cli' ? profile.dnsNames : [...profile.dnsNames, ...(o.dnsNames ?? [])];
    const pem = await createLeaf({ ca, days, ...profile, dnsNames });
    writePemPair(dir, leafFileNames(role, DEFAULT_REGION, DEFAULT_DOMAIN), pem, true);
  }
  return { pki, created: true };
};

import path from 'node:path';
import type { PairPaths } from './pem-files';

/**
 * File names and the demo layout, without the X.509 library: commands that only need to know
 * where certificates are (the topology, compose checks) do not load it.
 */
export type CertRole = 'server' | 'client' | 'cli';

/** Nomad's defaults, as `fleetgate tls` uses them. */
export const DEFAULT_DOMAIN = 'fleetgate';
export const DEFAULT_REGION = 'global';

/** File names, as Nomad's (`nomad-agent-ca.pem`, `global-server-nomad.pem`, ...) with our domain. */
export const caFileNames = (domain: string): { cert: string; key: string } => ({
  cert: `${domain}-agent-ca.pem`,
  key: `${domain}-agent-ca-key.pem`,
});

export const leafFileNames = (
  role: CertRole,
  region: string,
  domain: string,
): { cert: string; key: string } => ({
  cert: `${region}-${role}-${domain}.pem`,
  key: `${region}-${role}-${domain}-key.pem`,
});

/**
 * The certificates of a whole demo topology, as `fleetgate tls ca create` and `tls cert create
 * -server|-client|-cli` name them: the CA, the gateway's (server), the agents' (client) and the
 * operator's (cli). `fleetgate dev --tls`, `fleetgate cluster --tls` and the compose TLS
 * override all use this one layout.
 */
export interface ClusterPki {
  dir: string;
  ca: PairPaths;
  server: PairPaths;
  client: PairPaths;
  cli: PairPaths;
}

/** Where each file of the layout lives in `dir` (nothing is read or written). */
export const clusterPkiPaths = (dir: string): ClusterPki => {
  const at = (n: { cert: string; key: string }): PairPaths => ({
    cert: path.join(dir, n.cert),
    key: path.join(dir, n.key),
  });
  const leaf = (role: CertRole) => at(leafFileNames(role, DEFAULT_REGION, DEFAULT_DOMAIN));
  return {
    dir,
    ca: at(caFileNames(DEFAULT_DOMAIN)),
    server: leaf('server'),
    client: leaf('client'),
    cli: leaf('cli'),
  };
};

import fs from 'node:fs';
import type tls from 'node:tls';

/**
 * What a TLS client presents and trusts, as files (CLI flags, NOMAD_* / FLEETGATE_* variables,
 * config keys): the CA to verify the server with, an optional client certificate for mutual
 * TLS, the name to check the server's certificate against, and the escape hatch to skip that.
 */
export interface ClientTlsFiles {
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  /** Checked against the server's certificate instead of the host dialled (and sent as SNI). */
  serverName?: string | undefined;
  /** Encrypt without verifying the server: for experiments only, never silently. */
  skipVerify?: boolean | undefined;
}

const read = (path: string, what: string): Buffer => {
  try {
    return fs.readFileSync(path);
  } catch (e) {
    throw Object.assign(
      new Error(
        `cannot read the ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      ),
      { exitCode: 2 },
    );
  }
};

/** Node's TLS options from the files; throws one line naming the file that cannot be read. */
export const clientTlsOptions = (f: ClientTlsFiles): tls.ConnectionOptions => {
  if ((f.cert === undefined) !== (f.key === undefined))
    throw Object.assign(new Error('a client certificate needs both its certificate and its key file'), {
      exitCode: 2,
    });
  return {
    ...(f.ca ? { ca: read(f.ca, 'CA certificate') } : {}),
    ...(f.cert ? { cert: read(f.cert, 'client certificate') } : {}),
    ...(f.key ? { key: read(f.key, 'client key') } : {}),
    ...(f.serverName ? { servername: f.serverName } : {}),
    ...(f.skipVerify ? { rejectUnauthorized: false } : {}),
  };
};

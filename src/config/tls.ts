import { z } from 'zod';
import type { TlsFixNames } from '../wire/tls-failure';
import { defined, type EnvTwins } from './sources';

/**
 * The TLS settings gateway and agent share, as flags (`--tls-cert` ...), FLEETGATE_* twins and
 * config keys (`tls_cert` ...). Files, not PEM text: SIGHUP reads them again, so renewed
 * certificates are picked up without a restart. The same certificate serves HTTPS and is the
 * client certificate a gateway presents to agents (Nomad's agents do the same).
 */
export const tlsConfigKeys = {
  tls_cert: z.string().min(1).optional(),
  tls_key: z.string().min(1).optional(),
  /** CA that client certificates (and, at the gateway, agents' certificates) must chain to. */
  tls_ca: z.string().min(1).optional(),
  /** Mutual TLS: refuse connections without a client certificate signed by `tls_ca`. */
  tls_verify_client: z.boolean().default(false),
};

/** TLS towards the registry (`rediss://`, `rediss-sentinel://`, `rediss-cluster://`): its own CA, optional client certificate. */
export const redisTlsKeys = {
  redis_ca_cert: z.string().min(1).optional(),
  redis_client_cert: z.string().min(1).optional(),
  redis_client_key: z.string().min(1).optional(),
};

interface TlsKeys {
  tls_cert?: string | undefined;
  tls_key?: string | undefined;
  tls_ca?: string | undefined;
  tls_verify_client: boolean;
  redis_client_cert?: string | undefined;
  redis_client_key?: string | undefined;
}

/** The rules the keys obey together, one message naming the key to fix. */
export const refineTls = (c: TlsKeys, ctx: z.RefinementCtx): void => {
  if ((c.tls_cert === undefined) !== (c.tls_key === undefined))
    ctx.addIssue({
      code: 'custom',
      message: 'tls_cert and tls_key go together: give both (or neither for plain HTTP)',
      path: [c.tls_cert === undefined ? 'tls_cert' : 'tls_key'],
    });
  if (c.tls_verify_client && (c.tls_ca === undefined || c.tls_cert === undefined))
    ctx.addIssue({
      code: 'custom',
      message:
        'tls_verify_client needs tls_cert, tls_key and tls_ca (the CA client certificates must chain to)',
      path: ['tls_verify_client'],
    });
  if ((c.redis_client_cert === undefined) !== (c.redis_client_key === undefined))
    ctx.addIssue({
      code: 'custom',
      message: 'redis_client_cert and redis_client_key go together',
      path: [c.redis_client_cert === undefined ? 'redis_client_cert' : 'redis_client_key'],
    });
};

export interface TlsFlags {
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsVerifyClient?: boolean;
  redisCaCert?: string;
  redisClientCert?: string;
  redisClientKey?: string;
}

export const TLS_ENV_TWINS: Required<Pick<EnvTwins, 'strings' | 'booleans'>> = {
  strings: {
    FLEETGATE_TLS_CERT: 'tls_cert',
    FLEETGATE_TLS_KEY: 'tls_key',
    FLEETGATE_TLS_CA: 'tls_ca',
    FLEETGATE_REDIS_CA_CERT: 'redis_ca_cert',
    FLEETGATE_REDIS_CLIENT_CERT: 'redis_client_cert',
    FLEETGATE_REDIS_CLIENT_KEY: 'redis_client_key',
  },
  booleans: { FLEETGATE_TLS_VERIFY_CLIENT: 'tls_verify_client' },
};

export const tlsFromFlags = (f: TlsFlags): Record<string, unknown> =>
  defined({
    tls_cert: f.tlsCert,
    tls_key: f.tlsKey,
    tls_ca: f.tlsCa,
    tls_verify_client: f.tlsVerifyClient,
    redis_ca_cert: f.redisCaCert,
    redis_client_cert: f.redisClientCert,
    redis_client_key: f.redisClientKey,
  });

/** Paths of the files a TLS server reads (and reads again on SIGHUP). */
export interface ServerTlsFiles {
  cert: string;
  key: string;
  ca?: string;
  verifyClient: boolean;
}

/** Undefined when the role serves plain HTTP. */
export const serverTlsFiles = (c: TlsKeys): ServerTlsFiles | undefined =>
  c.tls_cert && c.tls_key
    ? {
        cert: c.tls_cert,
        key: c.tls_key,
        ...(c.tls_ca ? { ca: c.tls_ca } : {}),
        verifyClient: c.tls_verify_client,
      }
    : undefined;

/** Commander lines for the four flags, so gateway and agent describe them alike. */
export const TLS_FLAG_HELP: ReadonlyArray<[string, string]> = [
  [
    '--tls-cert <file>',
    'serve HTTPS with this certificate (PEM); also the client certificate shown to peers',
  ],
  ['--tls-key <file>', 'private key of --tls-cert (PEM)'],
  ['--tls-ca <file>', 'CA (PEM) that peer certificates must chain to'],
  ['--tls-verify-client', 'mutual TLS: refuse clients without a certificate signed by --tls-ca'],
  ['--redis-ca-cert <file>', 'CA (PEM) of a rediss:// registry'],
  ['--redis-client-cert <file>', 'client certificate (PEM) for a rediss:// registry that asks for one'],
  ['--redis-client-key <file>', 'key of --redis-client-cert (PEM)'],
];

/** Paths of the registry's TLS files; only meaningful with a rediss:// URL. */
export interface RedisTlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

export const redisTlsFiles = (c: {
  redis_ca_cert?: string | undefined;
  redis_client_cert?: string | undefined;
  redis_client_key?: string | undefined;
}): RedisTlsFiles =>
  defined({ ca: c.redis_ca_cert, cert: c.redis_client_cert, key: c.redis_client_key }) as RedisTlsFiles;

/**
 * The gateway dialling an agent (forwarding, job-wide logs): a failed handshake is fixed with
 * the gateway's own flags, which its 503 and its log name. Its certificate is both its server
 * and its client certificate, so a missing client certificate means --tls-cert/--tls-key.
 */
export const GATEWAY_TLS_FIX: TlsFixNames = {
  peer: 'agent',
  who: 'the gateway',
  ca: "the gateway's --tls-ca (FLEETGATE_TLS_CA)",
  serverName: "the gateway's --tls-agent-server-name (FLEETGATE_TLS_AGENT_SERVER_NAME)",
  clientCert: "the gateway's --tls-cert and --tls-key (FLEETGATE_TLS_CERT, FLEETGATE_TLS_KEY)",
  clientRole: '-server',
  plainHttp:
    'its advertised address says https://; give the agent --tls-cert and --tls-key, or fix its --advertise',
};

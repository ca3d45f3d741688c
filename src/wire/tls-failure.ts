/**
 * What went wrong when a TLS client (the CLI's typed client, the gateway dialling an agent)
 * failed its handshake, and one line saying what to fix. The kind is the same wherever the
 * client runs; the fix is not: the CLI is fixed with `--ca-cert`, the gateway with `--tls-ca`.
 * So the caller names its own flags (`TlsFixNames`) and the sentence is built from them.
 * Codes are OpenSSL's verify results and alerts as Node reports them.
 */
export type TlsFailure =
  /** The peer answered the ClientHello with plain HTTP. */
  | 'plain-http'
  /** The peer's certificate does not chain to a CA we trust. */
  | 'unknown-ca'
  | 'expired'
  | 'not-yet-valid'
  /** The peer's certificate does not carry the name we checked. */
  | 'wrong-name'
  /** The peer's certificate is not for serving TLS (no serverAuth). */
  | 'wrong-usage'
  /** The peer wants a client certificate and we sent none. */
  | 'cert-required'
  /** The peer does not trust our client certificate's CA. */
  | 'cert-untrusted'
  | 'cert-expired'
  /** The peer refused our client certificate (usage or form). */
  | 'cert-refused'
  | 'other';

const UNKNOWN_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);

const BY_CODE: Record<string, TlsFailure> = {
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not-yet-valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'wrong-name',
  INVALID_PURPOSE: 'wrong-usage',
  ERR_SSL_WRONG_VERSION_NUMBER: 'plain-http',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'plain-http',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'cert-required',
  // TLS 1.2 servers say "handshake failure" when a required client certificate is missing.
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'cert-required',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'cert-untrusted',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'cert-expired',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'cert-refused',
  ERR_SSL_TLSV1_ALERT_UNSUPPORTED_CERTIFICATE: 'cert-refused',
};

/** The kind of a client-side TLS failure, or undefined when `err` is not about TLS at all. */
export const classifyTlsFailure = (err: { code?: string; message?: string }): TlsFailure | undefined => {
  const code = err.code ?? '';
  const message = err.message ?? '';
  if (UNKNOWN_CA.has(code)) return 'unknown-ca';
  const known = BY_CODE[code];
  if (known) return known;
  if (/wrong version number|packet length too long/i.test(message)) return 'plain-http';
  if (
    code.startsWith('ERR_SSL_') ||
    code.startsWith('ERR_TLS_') ||
    code.startsWith('CERT_') ||
    (code === 'EPROTO' && /SSL|TLS/i.test(message))
  )
    return 'other';
  return undefined;
};

/** Errors a client must report rather than retry elsewhere: retrying cannot fix a certificate. */
export const isTlsFailure = (err: { code?: string; message?: string }): boolean =>
  classifyTlsFailure(err) !== undefined;

/** How the client that failed is configured: the flags its operator changes to fix each kind. */
export interface TlsFixNames {
  /** What the peer is called in the sentence: "server", "agent". */
  peer: string;
  /** Who holds the settings: "you", "the gateway". */
  who: string;
  /** The CA setting: `--ca-cert (NOMAD_CACERT)`, `--tls-ca`. */
  ca: string;
  /** The name-override setting: `--tls-server-name (NOMAD_TLS_SERVER_NAME)`, `--tls-agent-server-name`. */
  serverName: string;
  /** The client certificate settings. */
  clientCert: string;
  /** `fleetgate tls cert create` role flag for this client's certificate: `-cli`, `-server`. */
  clientRole: string;
  /** What to do about a peer that speaks plain HTTP. */
  plainHttp: string;
}

/** The CLI and the typed client: flags, Nomad's variables in brackets. */
export const CLI_TLS_FIX: TlsFixNames = {
  peer: 'server',
  who: 'you',
  ca: '--ca-cert (NOMAD_CACERT)',
  serverName: '--tls-server-name (NOMAD_TLS_SERVER_NAME)',
  clientCert: '--client-cert and --client-key (NOMAD_CLIENT_CERT, NOMAD_CLIENT_KEY)',
  clientRole: '-cli',
  plainHttp: 'use an http:// address',
};

/** One line saying what to fix, for a failure `classifyTlsFailure` recognised. */
export const tlsAdvice = (kind: TlsFailure, err: { message?: string }, f: TlsFixNames): string => {
  const p = f.peer;
  switch (kind) {
    case 'plain-http':
      return `the ${p} speaks plain HTTP, not TLS: ${f.plainHttp}`;
    case 'unknown-ca':
      return `the ${p}'s certificate is not signed by a CA ${f.who} trust${f.who === 'you' ? '' : 's'}: pass the cluster CA with ${f.ca}`;
    case 'expired':
      return `the ${p}'s certificate has expired: renew it (fleetgate tls cert create) and send the ${p} SIGHUP`;
    case 'not-yet-valid':
      return `the ${p}'s certificate is not valid yet: check the clocks of both machines`;
    case 'wrong-name':
      return `the ${p}'s certificate does not name the host dialled: use a name it carries, or set ${f.serverName}`;
    case 'wrong-usage':
      return `the ${p}'s certificate is not for serving TLS (wrong key usage): make it with fleetgate tls cert create -server or -client`;
    case 'cert-required':
      return `the ${p} requires a client certificate (mutual TLS): pass ${f.clientCert}`;
    case 'cert-untrusted':
      return `the ${p} does not trust the client certificate (signed by another CA): use one made with the cluster CA (${f.clientCert})`;
    case 'cert-expired':
      return `the ${p} refused the client certificate: it has expired; make a new one (fleetgate tls cert create ${f.clientRole})`;
    case 'cert-refused':
      return `the ${p} refused the client certificate (not for client use): make one with fleetgate tls cert create ${f.clientRole}`;
    case 'other':
      return `TLS handshake with the ${p} failed: ${err.message ?? 'unknown error'}`;
  }
};

/** `tlsAdvice` of an error, or undefined when it is not a TLS failure. */
export const describeTlsFailure = (
  err: { code?: string; message?: string },
  f: TlsFixNames,
): string | undefined => {
  const kind = classifyTlsFailure(err);
  return kind && tlsAdvice(kind, err, f);
};

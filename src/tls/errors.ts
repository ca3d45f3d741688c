/**
 * One line that says what to fix, for each way a TLS connection fails. The same error reads
 * differently at each end: a client learns which flag to pass, a server's log says what its
 * client got wrong. Codes are OpenSSL's verify results and alerts as Node reports them.
 */
type Side = 'client' | 'server';

const UNKNOWN_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);

const CLIENT: Record<string, string> = {
  CERT_HAS_EXPIRED:
    "the server's certificate has expired: renew it (fleetgate tls cert create) and send the server SIGHUP",
  CERT_NOT_YET_VALID: "the server's certificate is not valid yet: check the clocks of both machines",
  ERR_TLS_CERT_ALTNAME_INVALID:
    "the server's certificate does not name the host you connected to: use a name it carries, or set --tls-server-name (NOMAD_TLS_SERVER_NAME)",
  INVALID_PURPOSE:
    "the server's certificate is not for serving TLS (wrong key usage): make it with fleetgate tls cert create -server or -client",
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server speaks plain HTTP, not TLS: use an http:// address',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    'the server requires a client certificate (mutual TLS): pass --client-cert and --client-key (NOMAD_CLIENT_CERT, NOMAD_CLIENT_KEY)',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE:
    'the server refused the TLS handshake; it probably requires a client certificate: pass --client-cert and --client-key',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA:
    'the server does not trust your client certificate (signed by another CA): use one made with the cluster CA',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    'the server refused your client certificate: it has expired; make a new one (fleetgate tls cert create -cli)',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE:
    'the server refused your client certificate: make one for client use with fleetgate tls cert create -cli',
  ERR_SSL_TLSV1_ALERT_UNSUPPORTED_CERTIFICATE:
    'the server refused your client certificate (not for client use): make one with fleetgate tls cert create -cli',
};

const SERVER: Record<string, string> = {
  PLAIN_HTTP: 'a client sent plain HTTP to this HTTPS port: it must use an https:// address',
  ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE:
    'a client connected without a certificate, and mutual TLS is on (tls_verify_client): give it a certificate signed by tls_ca',
  ERR_SSL_CERTIFICATE_VERIFY_FAILED:
    'a client certificate was refused: it is not signed by tls_ca, has expired, or is not for client use',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA:
    "a client does not trust this server's certificate: give the client the cluster CA (--ca-cert)",
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    "a client refused this server's certificate (unknown CA, wrong name or expired): check the client's CA and server name",
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE:
    "a client refused this server's certificate (unknown CA, wrong name or expired): check the client's CA and server name",
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    "a client says this server's certificate has expired: renew it and send SIGHUP",
  ECONNRESET:
    "a client hung up during the TLS handshake (often: it does not trust this server's certificate, or its name)",
};

export const describeTlsError = (err: { code?: string; message: string }, side: Side): string => {
  const code = err.code ?? '';
  if (side === 'client' && UNKNOWN_CA.has(code))
    return "the server's certificate is not signed by a CA you trust: pass the cluster CA with --ca-cert (NOMAD_CACERT)";
  const table = side === 'client' ? CLIENT : SERVER;
  const known = table[code];
  if (known) return known;
  if (side === 'client' && /wrong version number|packet length too long/i.test(err.message))
    return CLIENT['ERR_SSL_WRONG_VERSION_NUMBER']!;
  return `TLS handshake failed: ${err.message}`;
};

/** Errors a client must report rather than retry elsewhere: retrying cannot fix a certificate. */
export const isTlsError = (err: { code?: string; message?: string }): boolean => {
  const code = err.code ?? '';
  return (
    UNKNOWN_CA.has(code) ||
    code in CLIENT ||
    code.startsWith('ERR_SSL_') ||
    code.startsWith('ERR_TLS_') ||
    code.startsWith('CERT_') ||
    (code === 'EPROTO' && /SSL|TLS/i.test(err.message ?? ''))
  );
};

/**
 * One line a TLS server logs for each way a client's handshake fails: what the client got
 * wrong and how to fix it. (The client's own view of the same failure, with the flags it
 * passes, is src/wire/tls-failure.ts.) Codes are OpenSSL's alerts as Node reports them.
 */
const SERVER: Record<string, string> = {
  PLAIN_HTTP: 'a client sent plain HTTP to this HTTPS port: it must use an https:// address',
  ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE:
    'a client connected without a certificate, and mutual TLS is on (tls_verify_client): give it a certificate signed by tls_ca',
  ERR_SSL_CERTIFICATE_VERIFY_FAILED:
    'a client certificate was refused: it is not signed by tls_ca, has expired, or is not for client use',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA:
    "a client does not trust this server's certificate: give the client the cluster CA (--ca-cert for the CLI, --tls-ca for a gateway)",
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    "a client refused this server's certificate (unknown CA, wrong name or expired): check the client's CA and server name",
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE:
    "a client refused this server's certificate (unknown CA, wrong name or expired): check the client's CA and server name",
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    "a client says this server's certificate has expired: renew it and send SIGHUP",
  ECONNRESET:
    "a client hung up during the TLS handshake (often: it does not trust this server's certificate, or its name)",
};

/** The one line a server logs for a failed handshake (what its client got wrong). */
export const describeHandshakeFailure = (err: { code?: string; message: string }): string =>
  SERVER[err.code ?? ''] ?? `TLS handshake failed: ${err.message}`;

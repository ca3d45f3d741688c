import fs from 'node:fs';
import type http from 'node:http';
import type https from 'node:https';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import type { ServerTlsFiles } from '../config/tls';
import { createEdgeServer, type EdgeLimits } from '../edge/server';
import { throttledByKind } from '../log/throttle';
import { describeHandshakeFailure } from './errors';

/** What gateway and agent listen with: plain HTTP, or HTTPS that can reload its files. */
export interface AppServer {
  readonly server: http.Server | https.Server;
  readonly scheme: 'http' | 'https';
  /**
   * Read the certificate files again (SIGHUP). New connections get the new certificate; open
   * connections keep the one they shook hands with, so running streams are not cut. A bad file
   * leaves the old certificate in place and throws the reason.
   */
  reload(): void;
}

const read = (path: string, key: string): Buffer => {
  try {
    return fs.readFileSync(path);
  } catch (e) {
    throw new Error(
      `${key}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
};

/** The files as TLS options; throws one line naming the key when a file is missing or does not parse. */
export const serverContextOptions = (files: ServerTlsFiles): tls.SecureContextOptions => {
  const opts: tls.SecureContextOptions = {
    cert: read(files.cert, 'tls_cert'),
    key: read(files.key, 'tls_key'),
    ...(files.ca ? { ca: read(files.ca, 'tls_ca') } : {}),
  };
  try {
    // Parses certificate, key and CA now, so a mismatched pair fails at start, not on first connect.
    tls.createSecureContext(opts);
  } catch (e) {
    throw new Error(`tls_cert/tls_key (${files.cert}, ${files.key}): ${(e as Error).message}`);
  }
  return opts;
};

/** Go's answer to the same mistake: a client that speaks plain HTTP learns to use https://. */
const PLAIN_HTTP_BODY = 'Client sent an HTTP request to an HTTPS server: use an https:// address\n';
const PLAIN_HTTP_REPLY =
  'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n' +
  `Content-Length: ${Buffer.byteLength(PLAIN_HTTP_BODY)}\r\n\r\n${PLAIN_HTTP_BODY}`;
/** First byte of every TLS record that opens a handshake. */
const TLS_HANDSHAKE = 0x16;
const FIRST_BYTE_TIMEOUT_MS = 30_000;

/** Each kind of handshake failure once a minute: a client retrying with the wrong CA must not flood the log. */
const handshakeLogger = (logger: Logger) => {
  const warn = throttledByKind(logger);
  return (err: Error & { code?: string }, socket: tls.TLSSocket | Socket): void =>
    warn(err.code ?? err.message, describeHandshakeFailure(err), {
      remote: socket.remoteAddress,
      code: err.code,
    });
};

/**
 * The server gateway and agent listen with: the shared edge, plus TLS. With TLS files it serves HTTPS (and mutual TLS
 * when `verifyClient`); a plain HTTP request to the TLS port gets a one-line 400 instead of a
 * reset connection that leaves the caller guessing.
 */
export const createAppServer = (
  app: http.RequestListener,
  files: ServerTlsFiles | undefined,
  logger: Logger,
  limits: EdgeLimits = {},
): AppServer => {
  if (!files) return { server: createEdgeServer(app, limits), scheme: 'http', reload: () => undefined };
  const server = createEdgeServer(app, limits, {
    ...serverContextOptions(files),
    requestCert: files.verifyClient,
    rejectUnauthorized: files.verifyClient,
  });
  const logHandshake = handshakeLogger(logger);
  server.on('tlsClientError', (err, socket) => logHandshake(err, socket));

  // Peek at the first byte of each connection before TLS takes it over. Until then the socket
  // is ours alone: closing the server must end it too, or close() would wait for it.
  const tlsListeners = server.listeners('connection') as Array<(s: Socket) => void>;
  const unclaimed = new Set<Socket>();
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    unclaimed.add(socket);
    socket.once('close', () => unclaimed.delete(socket));
    // Until the first byte, nothing else bounds an idle connection (the TLS handshake timer starts later).
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, () => socket.destroy());
    socket.once('data', (first: Buffer) => {
      unclaimed.delete(socket);
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(first);
      if (first[0] === TLS_HANDSHAKE) {
        for (const l of tlsListeners) l.call(server, socket);
        return;
      }
      logHandshake(Object.assign(new Error('plain HTTP on the TLS port'), { code: 'PLAIN_HTTP' }), socket);
      socket.end(PLAIN_HTTP_REPLY, () => socket.destroy());
    });
    socket.on('error', () => socket.destroy());
  });
  for (const name of ['closeAllConnections', 'closeIdleConnections'] as const) {
    const original = server[name].bind(server);
    server[name] = () => {
      for (const s of unclaimed) s.destroy();
      original();
    };
  }

  return {
    server,
    scheme: 'https',
    reload: () => {
      server.setSecureContext(serverContextOptions(files));
    },
  };
};

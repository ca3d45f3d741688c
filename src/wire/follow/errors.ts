/**
 * Errors a reader of fleetgate's HTTP streams raises, whoever reads them: the CLI's typed client
 * and the gateway's job-wide log stream alike. They carry enough context to tell the user what to
 * do next (which address failed, which path was taken), without parsing message text.
 */

/** Which endpoint answered: the gateway (the configured address) or a node agent directly. */
export type Via = 'gateway' | 'node';

/** The server answered with a non-2xx status. `body` is Nomad's plain-text error message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly url: string,
    readonly via: Via,
  ) {
    super(`Unexpected response code: ${status} (${body.trim()})`);
    this.name = 'ApiError';
  }
}

/**
 * The request never got an HTTP answer (refused, connect timeout, reset, DNS). Only this kind of
 * failure makes the direct-to-node path fall back to the gateway: an HTTP answer, even an
 * error, means the node is reachable and would say the same again.
 */
export class NetworkError extends Error {
  constructor(
    readonly base: string,
    readonly code: string,
    detail: string,
    readonly via: Via,
  ) {
    super(`cannot reach ${base}: ${detail}`);
    this.name = 'NetworkError';
  }
}

/** A node whose heartbeat lapsed: neither path can serve it, so fail at once. */
export class NodeDownError extends Error {
  constructor(
    readonly nodeId: string,
    readonly nodeName: string,
  ) {
    super(`node ${nodeName || nodeId} (${nodeId}) is down: its agent stopped heartbeating`);
    this.name = 'NodeDownError';
  }
}

/** Text a node appended after the frames: the stream failed after it had started. */
export class StreamError extends Error {
  constructor(readonly text: string) {
    super(`stream ended with an error: ${text.trim()}`);
    this.name = 'StreamError';
  }
}

/** Following gave up after the stream stayed down longer than allowed. */
export class GiveUpError extends Error {
  constructor(
    readonly downForMs: number,
    readonly last: unknown,
  ) {
    super(
      `gave up reconnecting after ${Math.round(downForMs / 1000)}s: ${last instanceof Error ? last.message : String(last)}`,
    );
    this.name = 'GiveUpError';
  }
}

/**
 * The TLS handshake failed (unknown CA, expired or misnamed certificate, missing client
 * certificate, plain HTTP on one side). Never retried elsewhere, and never in clear: another
 * path cannot fix a certificate, and falling back would hide the problem. `message` says what to fix.
 */
export class TlsError extends Error {
  constructor(
    readonly base: string,
    readonly code: string,
    advice: string,
    readonly via: Via,
  ) {
    super(`TLS to ${base} failed: ${advice}`);
    this.name = 'TlsError';
  }
}

/**
 * A download's connection failed or closed after its 2xx head, before the end of the body: what
 * was written is incomplete. Never retried on its own (the bytes already written cannot be taken back).
 */
export class TransferError extends Error {
  constructor(
    readonly base: string,
    readonly bytes: number,
    detail: string,
  ) {
    super(
      `the download from ${base} stopped after ${bytes} bytes (${detail}): the output is incomplete; run the command again`,
    );
    this.name = 'TransferError';
  }
}

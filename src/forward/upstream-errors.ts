/**
 * The one mapping from a failure talking to a node's agent to the wire (docs/wire.md, "Errors"):
 * before the first byte reached the client, 503 `No path to node: <reason>`, answered at once;
 * after bytes were sent the status is gone, so the text is appended and the response ended,
 * as Nomad does for errors inside a stream. Pure, table-tested.
 */
export interface UpstreamFailure {
  code?: string;
  message: string;
}

export type UpstreamErrorReply =
  { kind: 'reply'; status: 503; body: string } | { kind: 'append'; text: string };

/** Codes we raise ourselves for timeouts Node has no code for. */
export const CONNECT_TIMEOUT = 'ECONNECTTIMEOUT';
export const IDLE_TIMEOUT = 'EIDLETIMEOUT';

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the agent',
  EPIPE: 'connection reset by the agent',
  ECONNABORTED: 'connection aborted',
  ETIMEDOUT: 'connect timeout',
  [CONNECT_TIMEOUT]: 'connect timeout',
  [IDLE_TIMEOUT]: 'agent did not answer in time',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EHOSTDOWN: 'host is down',
  ENOTFOUND: 'cannot resolve the agent address',
  EAI_AGAIN: 'cannot resolve the agent address',
};

/** A short, stable reason for a failure (no stack, no internal detail beyond the OS code). */
export const upstreamReason = (err: UpstreamFailure): string => {
  if (err.code && REASONS[err.code]) return REASONS[err.code]!;
  if (/socket hang up/i.test(err.message)) return 'connection reset by the agent';
  if (/^aborted$/i.test(err.message)) return 'connection lost mid-response';
  return err.message || 'unknown upstream error';
};

export const mapUpstreamError = (
  err: UpstreamFailure,
  target: string,
  headersSent: boolean,
): UpstreamErrorReply => {
  const body = `No path to node: ${target}: ${upstreamReason(err)}`;
  return headersSent ? { kind: 'append', text: `\n${body}` } : { kind: 'reply', status: 503, body };
};

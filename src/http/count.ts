import type { ServerResponse } from 'node:http';

/** What a response turned out to be, once it is over. */
export interface Outcome {
  readonly status: number;
  /** Body bytes handed to `write`/`end` (headers excluded). */
  readonly bytes: number;
  /** Finished normally (false: the client or the server cut it short). */
  readonly completed: boolean;
}

export interface Tally {
  /** Body bytes so far. */
  bytes(): number;
  /** Called once with the outcome when the response closes. */
  onClose(fn: (o: Outcome) => void): void;
}

/**
 * Counts the body bytes of one response as they are handed to `write`/`end`, whoever writes
 * them (a handler, a pipe, the forwarder), and reports the outcome from one `close` listener to
 * everyone who asked (metrics, audit). Install it once per request.
 */
export const tally = (res: ServerResponse): Tally => {
  let bytes = 0;
  const count = (chunk: unknown, encoding?: unknown): void => {
    if (typeof chunk === 'string')
      bytes += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    else if (chunk instanceof Uint8Array) bytes += chunk.byteLength;
  };
  const write = res.write;
  const end = res.end;
  res.write = function (this: ServerResponse, ...args: unknown[]) {
    count(args[0], args[1]);
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as ServerResponse['write'];
  res.end = function (this: ServerResponse, ...args: unknown[]) {
    if (typeof args[0] !== 'function') count(args[0], args[1]);
    return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['end'];
  const listeners: Array<(o: Outcome) => void> = [];
  res.once('close', () => {
    const o: Outcome = { status: res.statusCode, bytes, completed: res.writableFinished };
    for (const fn of listeners) fn(o);
  });
  return { bytes: () => bytes, onClose: (fn) => void listeners.push(fn) };
};

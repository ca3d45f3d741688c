import type { Readable } from 'node:stream';
import { FrameDecoder, type DecodedFrame } from '../frames';
import { NetworkError, StreamError, type Via } from './errors';

/** What a frame stream yields to its consumer. */
/** A job-wide stream's frames say which source they came from (wire/job-frames.ts). */
export interface FromSource {
  readonly source?: DecodedFrame['source'];
  readonly prefix?: string;
  readonly message?: string;
}

export type StreamItem =
  | ({
      readonly kind: 'data';
      readonly data: Buffer;
      readonly file: string;
      readonly offset: number;
    } & FromSource)
  | ({ readonly kind: 'event'; readonly event: string; readonly file: string } & FromSource)
  | { readonly kind: 'heartbeat' };

export interface ReadFramesOptions {
  /** Yield heartbeats too (the logs tail logic uses the first one as "backlog sent"). */
  heartbeats?: boolean;
  /** For the error raised when the connection breaks mid-stream. */
  base?: string;
  via?: Via;
}

/**
 * Turns a response body of concatenated JSON frames (Nomad's StreamFrame objects back to back)
 * into items. Heartbeats are dropped unless asked for, file events are surfaced, and text a node
 * appended after the frames (its error once the stream had started) is raised as StreamError once the body ends. A connection that breaks
 * mid-body raises NetworkError, so a follower knows to reconnect.
 */
export async function* readFrames(body: Readable, opts: ReadFramesOptions = {}): AsyncGenerator<StreamItem> {
  const decoder = new FrameDecoder();
  try {
    for await (const chunk of body) {
      for (const f of decoder.push(chunk as Buffer)) yield* toItems(f, opts.heartbeats === true);
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.name === 'AbortError') throw err;
    throw new NetworkError(
      opts.base ?? 'stream',
      e.code ?? 'ECONNRESET',
      `stream interrupted: ${e.message}`,
      opts.via ?? 'gateway',
    );
  }
  // A body cut short by a dying peer ends "cleanly" in node:http but leaves `complete` false.
  const msg = body as Readable & { complete?: boolean };
  if (msg.complete === false) {
    throw new NetworkError(opts.base ?? 'stream', 'ECONNRESET', 'stream interrupted', opts.via ?? 'gateway');
  }
  const trailer = decoder.trailer();
  if (trailer.trim() !== '') throw new StreamError(trailer);
}

function* toItems(f: DecodedFrame, heartbeats: boolean): Generator<StreamItem> {
  if (f.heartbeat) {
    if (heartbeats) yield { kind: 'heartbeat' };
    return;
  }
  const from: FromSource = f.source
    ? {
        source: f.source,
        ...(f.prefix ? { prefix: f.prefix } : {}),
        ...(f.message ? { message: f.message } : {}),
      }
    : {};
  if (f.fileEvent) yield { kind: 'event', event: f.fileEvent, file: f.file, ...from };
  if (f.data.length > 0) yield { kind: 'data', data: f.data, file: f.file, offset: f.offset, ...from };
}

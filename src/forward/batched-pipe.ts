import type { Readable, Writable } from 'node:stream';
import { TurnWriter } from './turn-writer';

/**
 * Pipes `src` into `dst` with backpressure, like `pipe`, but sends everything that arrived in
 * one turn of the event loop as one write (turn-writer.ts), and the bytes still waiting together
 * with the end.
 *
 * Why, for TLS: a TLS socket hands its reader one 16 KiB record at a time, several in a row for
 * one network read. Piped one by one, every record became its own HTTP chunk, and since the
 * chunk's framing made the write a few bytes longer than a record, each one left as a full
 * record plus a tiny one that the reader (curl, the CLI) paid for again. Gathered, they leave as
 * one write of full records: a 1 GiB relay makes about a fifth of the system calls, and the
 * reader gets half the records.
 *
 * If `src` closes without ending (the peer went away mid-body), what it delivered is written
 * before the other 'close' listeners run, so a reason appended there comes after the data.
 */
export const batchedPipe = (src: Readable, dst: Writable): void => {
  const out = new TurnWriter(dst, {
    onFull: () => {
      if (src.isPaused()) return;
      src.pause();
      dst.once('drain', () => src.resume());
    },
  });
  src.on('data', (chunk: Buffer) => out.push(chunk));
  src.once('end', () => out.end());
  src.prependOnceListener('close', () => out.flush());
};

import net from 'node:net';
import { sleep } from './eventually';

export interface RawReply {
  /** Everything the server sent, as latin1 text. */
  text: string;
  /** Status codes of every response found in `text`, in order (100 Continue included). */
  statuses: number[];
  /** The server closed the connection (rather than the helper giving up waiting). */
  closedByServer: boolean;
}

/**
 * Writes `parts` on a fresh TCP connection exactly as given (no HTTP client in between, so
 * malformed framing reaches the server byte for byte) and collects the reply until the server
 * closes, or `quietMs` pass without data once something arrived, or `maxMs` overall.
 * `gapMs` pauses between parts (slow clients, Expect: 100-continue).
 */
export const rawExchange = (
  port: number,
  parts: Array<string | Buffer>,
  opts: { quietMs?: number; maxMs?: number; gapMs?: number; host?: string } = {},
): Promise<RawReply> =>
  new Promise((resolve) => {
    const { quietMs = 400, maxMs = 8000, gapMs = 0, host = '127.0.0.1' } = opts;
    const sock = net.connect(port, host);
    const chunks: Buffer[] = [];
    let closedByServer = false;
    let quiet: NodeJS.Timeout | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(quiet);
      clearTimeout(overall);
      sock.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
      resolve({ text, statuses, closedByServer });
    };
    const overall = setTimeout(finish, maxMs);
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      clearTimeout(quiet);
      quiet = setTimeout(finish, quietMs);
    });
    sock.on('end', () => {
      closedByServer = true;
      finish();
    });
    sock.on('close', () => {
      closedByServer = true;
      finish();
    });
    sock.on('error', () => finish());
    sock.once('connect', async () => {
      for (const [i, p] of parts.entries()) {
        if (i > 0 && gapMs > 0) await sleep(gapMs);
        if (sock.destroyed) return;
        sock.write(p);
      }
    });
  });

/** A chunked body carrying `data` as one chunk, then the last chunk. */
export const chunked = (data: string): string =>
  `${Buffer.byteLength(data, 'latin1').toString(16)}\r\n${data}\r\n0\r\n\r\n`;

import { validateHeaderName, validateHeaderValue } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { HTTPParser } from 'http-parser-js';
import { TransferError } from './errors';

/**
 * A GET whose body is copied to a writable (`fleetgate alloc fs` of a large file), read through
 * `net`/`tls` with `onread` into one reused buffer instead of through `node:http`.
 *
 * Why not `node:http`: its client parser listens for `'data'`, so every socket read hands over a
 * freshly allocated 64 KiB buffer, and that allocation (with its page faults) costs more CPU than
 * the copy itself — about 3x curl's CPU for 1 GiB. `fetch` and undici's `request` were slower still.
 * With `onread` one buffer serves every read and a read takes whatever the kernel has (up to
 * 1 MiB), so the CPU per GiB is curl's. The response is parsed by http-parser-js (content-length,
 * chunked, close-delimited); its body callbacks hand out views of our buffer, never copies.
 *
 * Buffer reuse sets the rule of the copy: a chunk written to `out` is a view of the read buffer,
 * so reading stops until every write of the last read has completed (a file, /dev/null or a
 * pipe that keeps up complete at once; a slow pipe holds the download back, as back-pressure should).
 */

/** One read's worth: large enough that a read takes all the kernel has buffered on loopback. */
const READ_BUFFER_BYTES = 1 << 20;

export interface BulkRequest {
  url: URL;
  headers: Record<string, string>;
  /** Options for `tls.connect` when the URL is https (CA, client certificate, server name). */
  tls: tls.ConnectionOptions;
  connectTimeoutMs?: number;
  signal?: AbortSignal;
}

/** How the caller words failures: before an HTTP answer, and a non-2xx answer with its body. */
export interface BulkFailures {
  /** A socket error before the response head arrived (refused, reset, TLS): NetworkError or TlsError. */
  beforeAnswer(err: NodeJS.ErrnoException): Error;
  /** A complete non-2xx answer. */
  status(status: number, body: string): Error;
}

/** A 2xx response whose body has not been read yet. */
export interface BulkBody {
  readonly status: number;
  /** The header value (lower-case name), if sent. */
  header(name: string): string | undefined;
  /**
   * Copies the body to `out` (never ended: stdout stays open), calling `onBytes` per chunk.
   * Resolves with the byte count at the end of the body; rejects with TransferError when the
   * connection fails or closes before the end, or with the write error of `out`.
   */
  copyTo(out: NodeJS.WritableStream, onBytes?: (n: number) => void): Promise<number>;
  /** Closes the connection without reading the body. */
  destroy(): void;
}

const requestHead = (req: BulkRequest): string => {
  let head = `GET ${req.url.pathname}${req.url.search} HTTP/1.1\r\nHost: ${req.url.host}\r\n`;
  for (const [name, value] of Object.entries(req.headers)) {
    // The same checks node:http makes: a token with a line break must not add headers.
    validateHeaderName(name);
    validateHeaderValue(name, value);
    head += `${name}: ${value}\r\n`;
  }
  // One request per connection: the body ends the conversation.
  return `${head}Connection: close\r\n\r\n`;
};

/** Sends the GET; resolves once a 2xx head has arrived, rejects with the caller's errors otherwise. */
export const openBulk = (req: BulkRequest, failures: BulkFailures): Promise<BulkBody> =>
  new Promise((resolve, reject) => new Download(req, failures, resolve, reject).start());

type Phase = 'head' | 'error-body' | 'body' | 'done' | 'failed';

class Download implements BulkBody {
  status = 0;
  private headers = new Map<string, string>();
  private phase: Phase = 'head';
  private readonly parser = new HTTPParser(HTTPParser.RESPONSE);
  private socket!: net.Socket;
  private connectTimer: NodeJS.Timeout | undefined;
  /** Body bytes that arrived with the head, before copyTo: copied, since the read buffer is reused. */
  private early: Buffer[] = [];
  private errorBody: Buffer[] = [];
  private out: NodeJS.WritableStream | undefined;
  private onBytes: ((n: number) => void) | undefined;
  private pendingWrites = 0;
  /** Whether `out` may still read from the read buffer (a write it has not finished with). */
  private held = false;
  private paused = false;
  /** The buffer of the read being parsed, and how many body bytes of it are gathered at its start. */
  private readBuffer: Buffer | undefined;
  private batched = 0;
  private bytes = 0;
  /** Settles copyTo; set once copyTo is called. */
  private finish: { resolve: (n: number) => void; reject: (e: Error) => void } | undefined;
  /** The reason the body failed before copyTo was called. */
  private failure: Error | undefined;

  constructor(
    private readonly req: BulkRequest,
    private readonly failures: BulkFailures,
    private readonly opened: (b: BulkBody) => void,
    private readonly refused: (e: Error) => void,
  ) {}

  start(): void {
    const { url } = this.req;
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const secure = url.protocol === 'https:';
    const port = Number(url.port) || (secure ? 443 : 80);
    const onread = {
      buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
      callback: (n: number, buf: Buffer): boolean => this.onRead(buf, n),
    };
    if (this.req.signal?.aborted) return this.refused(abortError());
    // Built (and checked) before connecting: a bad header value opens no socket.
    const head = requestHead(this.req);
    // As node:https does: the server name is the host unless it is an IP address or set explicitly.
    // tls.connect hands `onread` to the socket it creates as net.connect does (Node 20; @types
    // lacks it, hence the variable), so TLS reads land in the same reused buffer.
    const tlsOptions = {
      host,
      port,
      ...(net.isIP(host) ? {} : { servername: host }),
      ...this.req.tls,
      onread,
    };
    this.socket = secure ? tls.connect(tlsOptions) : net.connect({ host, port, onread });
    const timeout = this.req.connectTimeoutMs;
    if (timeout) {
      this.connectTimer = setTimeout(
        () =>
          this.socket.destroy(
            Object.assign(new Error(`connect timeout after ${timeout} ms`), { code: 'ETIMEDOUT' }),
          ),
        timeout,
      );
      this.socket.once('connect', () => clearTimeout(this.connectTimer));
    }
    this.req.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.fail(err));
    this.socket.on('end', () => this.onEnd());
    this.socket.on('close', () => this.onEnd());
    this.parser[HTTPParser.kOnHeadersComplete] = (info) => this.onHead(info.statusCode, info.headers);
    this.parser[HTTPParser.kOnBody] = (chunk) => this.onBody(chunk);
    this.parser[HTTPParser.kOnMessageComplete] = () => this.onComplete();
    this.socket.write(head);
  }

  header(name: string): string | undefined {
    return this.headers.get(name);
  }

  copyTo(out: NodeJS.WritableStream, onBytes?: (n: number) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.out) return reject(new Error('copyTo called twice'));
      this.out = out;
      this.onBytes = onBytes;
      this.finish = { resolve, reject };
      for (const chunk of this.early) this.write(chunk);
      this.early = [];
      if (this.failure) return this.settleWhenWritten();
      if (this.phase === 'done') return this.settleWhenWritten();
      this.maybeResume();
    });
  }

  destroy(): void {
    this.phase = 'done';
    this.cleanup();
  }

  private onRead(buf: Buffer, n: number): boolean {
    if (this.phase === 'done' || this.phase === 'failed') return false;
    this.readBuffer = buf;
    const r = this.parser.execute(buf, 0, n);
    this.flushBatch();
    if (r instanceof Error) {
      this.fail(Object.assign(new Error(`malformed HTTP response: ${r.message}`), { code: 'EPROTO' }));
      return false;
    }
    // Keep reading only while nothing still points into `buf`.
    if (this.held || (this.phase === 'body' && !this.out)) {
      this.paused = true;
      return false;
    }
    return true;
  }

  private onHead(status: number, raw: string[]): void {
    this.status = status;
    for (let i = 0; i + 1 < raw.length; i += 2) this.headers.set(raw[i]!.toLowerCase(), raw[i + 1]!);
    if (status >= 200 && status < 300) {
      this.phase = 'body';
      this.opened(this);
    } else {
      this.phase = 'error-body';
    }
  }

  private onBody(chunk: Buffer): void {
    if (this.phase === 'error-body') this.errorBody.push(Buffer.from(chunk));
    else if (this.phase !== 'body') return;
    else if (!this.out) this.early.push(Buffer.from(chunk));
    else this.batchBody(chunk);
  }

  /**
   * The body pieces of one read become one write: each piece is moved left in the read buffer to
   * follow the previous one (over the chunk framing between them, bytes the parser has already
   * consumed). Through the gateway, which re-chunks the agent's answer every 64 KiB, this makes
   * one write per read instead of one per chunk.
   */
  private batchBody(piece: Buffer): void {
    const buf = this.readBuffer!;
    const from = piece.byteOffset - buf.byteOffset;
    if (from !== this.batched) buf.copyWithin(this.batched, from, from + piece.length);
    this.batched += piece.length;
  }

  private flushBatch(): void {
    if (this.batched === 0) return;
    const n = this.batched;
    this.batched = 0;
    this.write(this.readBuffer!.subarray(0, n));
  }

  private write(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.onBytes?.(chunk.length);
    this.pendingWrites++;
    this.out!.write(chunk, (err?: Error | null) => {
      this.pendingWrites--;
      if (this.pendingWrites === 0) this.held = false;
      if (err) {
        this.fail(err, true);
        return;
      }
      if (this.pendingWrites === 0) {
        if (this.phase === 'body') this.maybeResume();
        else this.settleWhenWritten();
      }
    });
    // A stream calls back once it is done with a chunk, but a little later (next tick) even when
    // it wrote at once (a file, /dev/null, a pipe with room). Nothing buffered means it is done
    // already, so reading goes on without a pause and resume per read.
    const buffered = (this.out as { writableLength?: number }).writableLength;
    if (buffered === undefined || buffered > 0) this.held = true;
  }

  private maybeResume(): void {
    if (!this.paused || this.held) return;
    this.paused = false;
    this.socket.resume();
  }

  private onComplete(): void {
    if (this.phase === 'error-body') {
      this.phase = 'done';
      this.cleanup();
      this.refused(this.failures.status(this.status, Buffer.concat(this.errorBody).toString('utf8')));
      return;
    }
    this.flushBatch();
    this.phase = 'done';
    this.cleanup();
    this.settleWhenWritten();
  }

  /** At the end of the body (or after a failure) resolve/reject copyTo once its writes are done. */
  private settleWhenWritten(): void {
    if (!this.finish || this.pendingWrites > 0) return;
    const finish = this.finish;
    this.finish = undefined;
    if (this.failure) finish.reject(this.failure);
    else finish.resolve(this.bytes);
  }

  private onEnd(): void {
    if (this.phase === 'done' || this.phase === 'failed') return;
    // A close-delimited body (no length, not chunked) ends here; any other one was cut short.
    const r = this.parser.finish();
    if ((this.phase as Phase) === 'done') return;
    this.fail(
      Object.assign(new Error(r instanceof Error ? 'the connection closed early' : 'the connection closed'), {
        code: 'ECONNRESET',
      }),
    );
  }

  private readonly onAbort = (): void => {
    this.fail(abortError());
  };

  /** One failure settles everything: before the head it refuses the open, after it fails the copy. */
  private fail(err: NodeJS.ErrnoException, fromWrite = false): void {
    if (this.phase === 'done' || this.phase === 'failed') {
      // A write error after the body was read still fails the copy.
      if (fromWrite && this.finish && !this.failure) this.failure = err;
      if (fromWrite) this.settleWhenWritten();
      return;
    }
    const phase = this.phase;
    this.phase = 'failed';
    this.cleanup();
    if (err.name === 'AbortError') {
      if (phase === 'body') this.failure = err;
      else return this.refused(err);
    } else if (phase === 'head') {
      return this.refused(this.failures.beforeAnswer(err));
    } else if (phase === 'error-body') {
      // The status is known; what there is of the body still says why.
      return this.refused(this.failures.status(this.status, Buffer.concat(this.errorBody).toString('utf8')));
    } else if (fromWrite) {
      this.failure = err;
    } else {
      this.failure = new TransferError(
        `${this.req.url.protocol}//${this.req.url.host}`,
        this.bytes + this.early.reduce((n, b) => n + b.length, 0),
        err.message,
      );
    }
    this.settleWhenWritten();
  }

  private cleanup(): void {
    clearTimeout(this.connectTimer);
    this.req.signal?.removeEventListener('abort', this.onAbort);
    this.socket.destroy();
  }
}

const abortError = (): Error => Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });

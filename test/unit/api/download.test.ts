import crypto from 'node:crypto';
import net from 'node:net';
import { Writable } from 'node:stream';
import { Endpoint } from '../../../src/wire/follow/endpoint';
import { ApiError, FleetgateClient, NetworkError, TransferError } from './client-helpers';
import { deadPort, sendJson, tinyServer, type TinyServer } from './servers';

const ALLOC = '11111111-2222-3333-4444-555555555555';
const NODE = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const sha = (b: Buffer): string => crypto.createHash('sha256').update(b).digest('hex');

/** A raw TCP server on loopback that answers each connection with `answer` (for framings node:http never sends). */
const rawServer = (answer: (sock: net.Socket) => void): Promise<{ url: string; close(): void }> =>
  new Promise((resolve) => {
    const socks = new Set<net.Socket>();
    const srv = net.createServer((sock) => {
      socks.add(sock);
      sock.on('error', () => undefined);
      // Answer once the request head is in.
      let head = '';
      const onData = (d: Buffer) => {
        head += d.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        sock.off('data', onData);
        answer(sock);
      };
      sock.on('data', onData);
    });
    srv.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`,
        close: () => {
          for (const s of socks) s.destroy();
          srv.close();
        },
      }),
    );
  });

/**
 * A writable that completes each write later (like a slow pipe) and checks that the bytes it was
 * handed did not change while the write was pending: the download reuses its read buffer, so
 * reading on before a write completes would corrupt the output.
 */
class SlowSink extends Writable {
  readonly parts: Buffer[] = [];
  changedWhilePending = 0;
  constructor(private readonly delayMs: number) {
    super();
  }
  override _write(chunk: Buffer, _enc: string, cb: (err?: Error | null) => void): void {
    const copy = Buffer.from(chunk);
    this.parts.push(copy);
    setTimeout(() => {
      if (!chunk.equals(copy)) this.changedWhilePending++;
      cb();
    }, this.delayMs);
  }
}

describe('Endpoint.download: the bulk path over real sockets', () => {
  const closers: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
  });
  const endpoint = (url: string) => new Endpoint(url, 'node', 'secret-token');

  it('sends the token, reads a content-length body that arrived with the head, and waits for slow writes', async () => {
    const body = crypto.randomBytes(3 * 1024 * 1024 + 5);
    let token: string | undefined;
    const srv = await tinyServer((req, res) => {
      token = req.headers['x-nomad-token'] as string;
      res.writeHead(200, { 'Content-Length': body.length });
      res.end(body);
    });
    closers.push(() => srv.close());
    const dl = await endpoint(srv.url).download({ path: '/v1/client/fs/cat/x', query: { path: 'a b' } });
    expect(dl.status).toBe(200);
    expect(dl.header('content-length')).toBe(String(body.length));
    expect(srv.hits).toEqual(['/v1/client/fs/cat/x?path=a+b']);
    expect(token).toBe('secret-token');
    // Let the whole body arrive before copying starts: it must be kept, not overwritten.
    await new Promise((r) => setTimeout(r, 100));
    const sink = new SlowSink(2);
    let counted = 0;
    expect(await dl.copyTo(sink, (n) => (counted += n))).toBe(body.length);
    expect(counted).toBe(body.length);
    expect(sink.changedWhilePending).toBe(0);
    expect(sha(Buffer.concat(sink.parts))).toBe(sha(body));
  });

  it('reads a chunked body and a body delimited by the end of the connection', async () => {
    const body = crypto.randomBytes(2 * 1024 * 1024 + 3);
    const chunked = await tinyServer((_req, res) => {
      res.writeHead(200);
      // Several chunks of odd sizes.
      for (let o = 0; o < body.length; o += 300_001) res.write(body.subarray(o, o + 300_001));
      res.end();
    });
    closers.push(() => chunked.close());
    const raw = await rawServer((sock) => {
      sock.write('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n');
      sock.end(body);
    });
    closers.push(raw.close);
    for (const url of [chunked.url, raw.url]) {
      const dl = await endpoint(url).download({ path: '/f' });
      const sink = new SlowSink(0);
      expect(await dl.copyTo(sink)).toBe(body.length);
      expect(sha(Buffer.concat(sink.parts))).toBe(sha(body));
    }
  });

  it('a non-2xx answer is an ApiError with its body, as on the node:http path', async () => {
    const srv = await tinyServer((_req, res) => {
      res.writeHead(404);
      res.write('stat nope: ');
      res.end('no such file or directory');
    });
    closers.push(() => srv.close());
    const ep = endpoint(srv.url);
    const viaBulk = await ep.download({ path: '/v1/client/fs/cat/x' }).catch((e: unknown) => e);
    const viaHttp = await ep.open({ path: '/v1/client/fs/cat/x' }).catch((e: unknown) => e);
    expect(viaBulk).toBeInstanceOf(ApiError);
    expect(viaBulk).toEqual(viaHttp);
    expect((viaBulk as ApiError).message).toBe(
      'Unexpected response code: 404 (stat nope: no such file or directory)',
    );
  });

  it('no answer (refused, closed before the head, not HTTP) is a NetworkError', async () => {
    const refused = await endpoint(`http://127.0.0.1:${await deadPort()}`)
      .download({ path: '/f' })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NetworkError);
    expect((refused as NetworkError).code).toBe('ECONNREFUSED');

    const hangUp = await rawServer((sock) => sock.destroy());
    closers.push(hangUp.close);
    const closed = await endpoint(hangUp.url)
      .download({ path: '/f' })
      .catch((e: unknown) => e);
    expect(closed).toBeInstanceOf(NetworkError);

    const garbage = await rawServer((sock) => sock.end('SSH-2.0-OpenSSH\r\n\r\n'));
    closers.push(garbage.close);
    const notHttp = await endpoint(garbage.url)
      .download({ path: '/f' })
      .catch((e: unknown) => e);
    expect(notHttp).toBeInstanceOf(NetworkError);
    expect((notHttp as Error).message).toMatch(/malformed HTTP response/);
  });

  it('a body cut short is a TransferError naming the bytes written; a length mismatch too', async () => {
    const half = crypto.randomBytes(1024 * 1024);
    const chunkedCut = await rawServer((sock) => {
      sock.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      sock.write(`${(2 * half.length).toString(16)}\r\n`);
      sock.end(half);
    });
    closers.push(chunkedCut.close);
    const lengthCut = await rawServer((sock) => {
      sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${2 * half.length}\r\n\r\n`);
      sock.write(half, () => sock.destroy());
    });
    closers.push(lengthCut.close);
    for (const srv of [chunkedCut, lengthCut]) {
      const dl = await endpoint(srv.url).download({ path: '/f' });
      const sink = new SlowSink(0);
      const err = await dl.copyTo(sink).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransferError);
      const written = Buffer.concat(sink.parts);
      expect(written.equals(half.subarray(0, written.length))).toBe(true);
      expect((err as TransferError).bytes).toBe(written.length);
      expect((err as Error).message).toMatch(
        new RegExp(
          `^the download from ${srv.url} stopped after ${written.length} bytes \\(.+\\): the output is incomplete`,
        ),
      );
    }
  });

  it('a header value with a line break is refused before any connection', async () => {
    const srv = await tinyServer((_req, res) => res.end('x'));
    closers.push(() => srv.close());
    const ep = new Endpoint(srv.url, 'node', 'tok\r\nX-Injected: 1');
    await expect(ep.download({ path: '/f' })).rejects.toThrow(/Invalid character in header content/);
    expect(srv.hits).toEqual([]);
  });

  it('an abort signal stops the copy', async () => {
    const srv = await tinyServer((_req, res) => {
      res.writeHead(200);
      const tick = setInterval(() => res.write(Buffer.alloc(1024)), 5);
      res.on('close', () => clearInterval(tick));
    });
    closers.push(() => srv.close());
    const ac = new AbortController();
    const dl = await endpoint(srv.url).download({ path: '/f', signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(dl.copyTo(new SlowSink(0))).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('FleetgateClient.download: the same direct-or-gateway route as cat', () => {
  let gw: TinyServer;
  afterEach(() => gw.close());

  it('an unreachable node falls back to the gateway (auto); direct always reports the node', async () => {
    const dead = `127.0.0.1:${await deadPort()}`;
    gw = await tinyServer((req, res) => {
      const url = req.url ?? '';
      if (url.startsWith(`/v1/allocation/${ALLOC}`)) return sendJson(res, 200, { ID: ALLOC, NodeID: NODE });
      if (url.startsWith(`/v1/node/${NODE}`))
        return sendJson(res, 200, { ID: NODE, Name: 'n1', Status: 'ready', HTTPAddr: dead });
      if (url.startsWith(`/v1/client/fs/readat/${ALLOC}?path=f&offset=3`)) return res.end('from gateway');
      res.writeHead(404).end('resource not found');
    });
    const lines: string[] = [];
    const auto = new FleetgateClient({ address: gw.url, log: (l) => lines.push(l) });
    const opened = await auto.download(ALLOC, 'f', 3);
    expect(opened.via).toBe('gateway');
    const sink = new SlowSink(0);
    await opened.body.copyTo(sink);
    expect(Buffer.concat(sink.parts).toString()).toBe('from gateway');
    expect(lines.join('\n')).toMatch(/unreachable \(ECONNREFUSED\)/);

    const always = new FleetgateClient({ address: gw.url, direct: 'always' });
    await expect(always.download(ALLOC, 'f')).rejects.toBeInstanceOf(NetworkError);
  });
});

import type http from 'node:http';
import { encodeFrame } from '../../../src/wire/frames';
import { sendJson, tinyServer, type TinyServer } from './servers';
import { sleep } from '../../helpers/eventually';

/**
 * A log-serving node for resume tests: rotated files web.stdout.N in memory, the spec §6.7
 * walk for origin=start, follow streams in small frames, and knobs to break connections.
 */
export class FakeLogs {
  /** Present files by index (purged ones are deleted from the map). */
  readonly files = new Map<number, Buffer>();
  /** Each new connection cuts itself after this many data bytes (0 = never). */
  dropAfterBytes = 0;
  /** While > now, every request is answered 503 (agent "restarting"). */
  unavailableUntil = 0;
  connections = 0;
  server!: TinyServer;
  private readonly open = new Set<http.ServerResponse>();

  async start(): Promise<this> {
    this.files.set(0, Buffer.alloc(0));
    this.server = await tinyServer((req, res) => this.handle(req, res));
    return this;
  }

  append(data: string, rotateAt: number, maxFiles: number): void {
    const newest = Math.max(...this.files.keys());
    let cur = this.files.get(newest)!;
    if (cur.length >= rotateAt) {
      this.files.set(newest + 1, (cur = Buffer.alloc(0)));
      for (const k of [...this.files.keys()].sort((a, b) => a - b))
        if (this.files.size > maxFiles) this.files.delete(k);
    }
    this.files.set(Math.max(...this.files.keys()), Buffer.concat([cur, Buffer.from(data)]));
  }

  /** Breaks every open stream at once (a gateway or agent restart). */
  dropAll(): void {
    for (const r of this.open) r.destroy();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    if (Date.now() < this.unavailableUntil) return void res.writeHead(503).end('No path to node: restarting');
    if (url.pathname.startsWith('/v1/client/fs/ls/')) {
      const list = [...this.files].map(([i, b]) => ({
        FileMode: '-rw-r--r--',
        IsDir: false,
        ModTime: new Date().toISOString(),
        Name: `web.stdout.${i}`,
        Size: b.length,
      }));
      return sendJson(res, 200, list);
    }
    if (!url.pathname.startsWith('/v1/client/fs/logs/'))
      return void res.writeHead(404).end('resource not found');
    this.connections++;
    const [idx, pos] = this.walk(Number(url.searchParams.get('offset') ?? 0));
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    this.open.add(res);
    res.on('close', () => this.open.delete(res));
    void this.stream(res, idx, pos);
  }

  /** spec §6.7 findClosest for origin=start, positive offsets. */
  private walk(off: number): [number, number] {
    const idxs = [...this.files.keys()].sort((a, b) => a - b);
    for (let i = 0; i < idxs.length; i++) {
      const size = this.files.get(idxs[i]!)!.length;
      if (off <= size) return [idxs[i]!, off];
      if (i === idxs.length - 1) return [idxs[i]!, size];
      off -= size;
    }
    return [0, 0];
  }

  private async stream(res: http.ServerResponse, idx: number, pos: number): Promise<void> {
    let sent = 0;
    while (!res.destroyed) {
      const buf = this.files.get(idx);
      if (buf && pos < buf.length) {
        const chunk = buf.subarray(pos, Math.min(buf.length, pos + 7));
        pos += chunk.length;
        sent += chunk.length;
        // Wait for each frame to reach the socket, as a real agent's flush does: a cut then
        // happens after delivered frames, never before the response headers.
        await new Promise<void>((r) =>
          res.write(encodeFrame({ data: chunk, file: `alloc/logs/web.stdout.${idx}`, offset: pos }), () =>
            r(),
          ),
        );
        if (this.dropAfterBytes && sent >= this.dropAfterBytes) return void res.destroy();
        continue;
      }
      const next = [...this.files.keys()].filter((k) => k > idx).sort((a, b) => a - b)[0];
      if (next !== undefined && (!buf || pos >= buf.length)) {
        idx = next;
        pos = 0;
        continue;
      }
      await sleep(5);
    }
  }
}

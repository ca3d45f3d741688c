import { Framer, type FrameSink } from '../../../../src/agent/framer';
import { FrameDecoder, MAX_FRAME_DATA } from '../../../../src/wire';

/** An in-memory sink that records exactly what would go on the wire. */
class MemSink implements FrameSink {
  out: Array<string | Buffer> = [];
  closed = false;
  needsDrain = false;
  write(c: string | Buffer): boolean {
    this.out.push(c);
    return true;
  }
  async drained(): Promise<void> {}
  text(): string {
    return this.out.map(String).join('');
  }
}

const frames = (s: MemSink) => new FrameDecoder().push(s.text());

describe('framer', () => {
  it('one small read becomes one frame whose Offset is the end of its data', async () => {
    const s = new MemSink();
    const f = new Framer(s, { mode: 'json' });
    await f.data('alloc/logs/web.stdout.0', Buffer.from('<script>alert(document.domain);</script>'), 40);
    f.close();
    expect(s.text()).toBe(
      '{"Data":"PHNjcmlwdD5hbGVydChkb2N1bWVudC5kb21haW4pOzwvc2NyaXB0Pg==","File":"alloc/logs/web.stdout.0","Offset":40}',
    );
  });
  it('reads within the coalescing window share a frame; Offset is the end of the merged data', async () => {
    const s = new MemSink();
    const f = new Framer(s, { mode: 'json' });
    await f.data('a', Buffer.from('abc'), 3);
    await f.data('a', Buffer.from('defg'), 7);
    f.flush();
    expect(frames(s)).toEqual([
      expect.objectContaining({ data: Buffer.from('abcdefg'), file: 'a', offset: 7 }),
    ]);
  });
  it('splits at 64 KiB with exact end offsets and no data-less frames', async () => {
    const s = new MemSink();
    const f = new Framer(s, { mode: 'json' });
    const big = Buffer.alloc(70000, 'x');
    await f.data('a', big, 70000);
    f.close();
    const fr = frames(s);
    expect(fr.map((x) => [x.data.length, x.offset])).toEqual([
      [MAX_FRAME_DATA, MAX_FRAME_DATA],
      [70000 - MAX_FRAME_DATA, 70000],
    ]);
  });
  it('a 1 MiB read goes out as 16 full frames in ONE sink write; a remainder waits for flush', async () => {
    const s = new MemSink();
    const f = new Framer(s, { mode: 'json' });
    await f.data('a', Buffer.alloc(16 * MAX_FRAME_DATA + 10, 'z'), 100 + 16 * MAX_FRAME_DATA + 10);
    expect(s.out).toHaveLength(1);
    expect(frames(s).map((x) => [x.data.length, x.offset])).toEqual(
      Array.from({ length: 16 }, (_, i) => [MAX_FRAME_DATA, 100 + (i + 1) * MAX_FRAME_DATA]),
    );
    f.close();
    expect(frames(s).at(-1)).toMatchObject({ offset: 100 + 16 * MAX_FRAME_DATA + 10 });
    expect(frames(s).at(-1)!.data.length).toBe(10);
  });
  it('flushNow (reader at EOF) sends pending and new data at once, merged, without waiting for the timer', async () => {
    const s = new MemSink();
    const f = new Framer(s, { mode: 'json', coalesceMs: 10_000 });
    await f.data('a', Buffer.from('abc'), 3);
    expect(s.out).toHaveLength(0);
    await f.data('a', Buffer.from('de'), 5, true);
    expect(s.out).toHaveLength(1);
    expect(frames(s)).toEqual([expect.objectContaining({ data: Buffer.from('abcde'), offset: 5 })]);
    f.close();
  });
  it('a data read starting mid-file keeps its file offsets', async () => {
    const s = new MemSink();
    const f = new Framer(s, { mode: 'json' });
    await f.data('a', Buffer.from('side'), 25);
    f.close();
    expect(frames(s)[0]).toMatchObject({ offset: 25 });
  });
  it('a file switch flushes the previous file first, order preserved (§13.73)', async () => {
    const s = new MemSink();
    const f = new Framer(s, { mode: 'json' });
    const input: string[] = [];
    for (let file = 0; file < 5; file++) {
      let off = 0;
      for (let shard = 0; shard < 10; shard++) {
        const d = `f${file}s${shard}-`.repeat(40);
        off += d.length;
        input.push(d);
        await f.data(`file${file}`, Buffer.from(d), off);
      }
    }
    f.close();
    const fr = frames(s);
    expect(Buffer.concat(fr.map((x) => x.data)).toString()).toBe(input.join(''));
    expect(fr.map((x) => x.file)).toEqual(['file0', 'file1', 'file2', 'file3', 'file4']);
  });
  it('an event is sent once as its own frame after pending data', async () => {
    const s = new MemSink();
    const f = new Framer(s, { mode: 'json' });
    await f.data('a', Buffer.from('hel'), 3);
    f.event('a', 'file truncated', 0);
    f.close();
    expect(s.text()).toBe('{"Data":"aGVs","File":"a","Offset":3}{"File":"a","FileEvent":"file truncated"}');
  });
});

/** The framer takes its intervals as options: jest's fake clock drives them, no real-time waits. */
describe('framer timing (fake timers)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('flushes on its own when the coalescing window ends, not before', async () => {
    const s = new MemSink();
    const f = new Framer(s, { mode: 'json', coalesceMs: 5 });
    await f.data('a', Buffer.from('x'), 1);
    await jest.advanceTimersByTimeAsync(4);
    expect(frames(s)).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(frames(s)).toEqual([expect.objectContaining({ data: Buffer.from('x'), file: 'a', offset: 1 })]);
    f.close();
  });
  it('an idle JSON framer sends {} every heartbeat interval and stops after close', async () => {
    const s = new MemSink();
    const f = new Framer(s, { mode: 'json', heartbeatMs: 20 });
    f.start();
    await jest.advanceTimersByTimeAsync(150);
    f.close();
    expect(s.out).toEqual(['{}', '{}', '{}', '{}', '{}', '{}', '{}']);
    await jest.advanceTimersByTimeAsync(100);
    expect(s.out).toHaveLength(7);
  });
  it('plain mode writes only raw bytes: no heartbeats, no events', async () => {
    const s = new MemSink();
    const f = new Framer(s, { mode: 'plain', heartbeatMs: 10 });
    f.start();
    await f.data('a', Buffer.from('hello '), 6);
    f.event('a', 'file deleted', 6);
    await f.data('b', Buffer.from('world'), 5);
    await jest.advanceTimersByTimeAsync(60);
    f.close();
    expect(s.text()).toBe('hello world');
  });
  it('skips heartbeats while the connection is backed up', async () => {
    const s = new MemSink();
    s.needsDrain = true;
    const f = new Framer(s, { mode: 'json', heartbeatMs: 10 });
    f.start();
    await jest.advanceTimersByTimeAsync(60);
    f.close();
    expect(s.out).toEqual([]);
  });
});

describe('framer backpressure', () => {
  it('data() does not resolve while the sink needs draining, so readers stop reading', async () => {
    let release!: () => void;
    const s = new MemSink();
    s.needsDrain = true;
    s.drained = () => new Promise<void>((r) => (release = r));
    const f = new Framer(s, { mode: 'json' });
    let resolved = false;
    const p = f.data('a', Buffer.alloc(MAX_FRAME_DATA, 'a'), MAX_FRAME_DATA).then(() => (resolved = true));
    jest.useFakeTimers();
    try {
      await jest.advanceTimersByTimeAsync(1000);
    } finally {
      jest.useRealTimers();
    }
    expect(resolved).toBe(false);
    release();
    await p;
    expect(resolved).toBe(true);
    f.close();
  });
});

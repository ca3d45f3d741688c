import { PassThrough, Writable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { batchedPipe } from '../../../src/forward/batched-pipe';

/** A real Writable that records how its bytes arrived: one entry per _write/_writev call. */
const recorder = (o: { highWaterMark?: number; slow?: boolean } = {}) => {
  const calls: Buffer[][] = [];

  const later: Array<() => void> = [];
  const done = (cb: () => void) => (o.slow ? later.push(cb) : cb());
  const w = new Writable({
    highWaterMark: o.highWaterMark ?? 16 * 1024,
    write(chunk: Buffer, _enc, cb) {
      calls.push([chunk]);
      done(cb);
    },
    writev(chunks, cb) {
      calls.push(chunks.map((c) => c.chunk as Buffer));
      done(cb);
    },
  });
  const bytes = () => Buffer.concat(calls.flat()).toString();
  /** Completes the writes waiting on a slow sink. */
  const release = () => later.splice(0).forEach((cb) => cb());
  return { w, calls, bytes, release };
};

const finished = (w: Writable) => new Promise((r) => w.once('finish', r));

describe('batchedPipe', () => {
  it('sends the chunks of one turn as one write (pipe sends them one by one)', async () => {
    const piped = recorder();
    const src1 = new PassThrough();
    src1.pipe(piped.w);
    const batched = recorder();
    const src2 = new PassThrough();
    batchedPipe(src2, batched.w);
    for (const c of ['a', 'b', 'c', 'd']) {
      src1.write(c);
      src2.write(c);
    }
    await tick();
    await tick();
    expect(piped.calls.length).toBeGreaterThan(1);
    expect(batched.calls).toEqual([['a', 'b', 'c', 'd'].map((c) => Buffer.from(c))]);
  });

  it('the end carries the bytes still waiting, in the same write', async () => {
    const r = recorder();
    const src = new PassThrough();
    batchedPipe(src, r.w);
    src.write('head');
    src.end('tail');
    await finished(r.w);
    expect(r.calls).toEqual([[Buffer.from('head'), Buffer.from('tail')]]);
  });

  it('holds the source while the destination is full, and delivers every byte in order', async () => {
    const r = recorder({ highWaterMark: 4, slow: true });
    const src = new PassThrough();
    batchedPipe(src, r.w);
    src.write('12345678');
    await tick();
    await tick();
    expect(src.isPaused()).toBe(true);
    src.write('abc');
    src.end('xyz');
    await tick();
    expect(r.bytes()).toBe('12345678');
    while (!r.w.writableFinished) {
      r.release();
      await tick();
    }
    expect(r.bytes()).toBe('12345678abcxyz');
  });

  it('a source that closes without ending: its bytes are written before other close listeners run', async () => {
    const r = recorder();
    const src = new PassThrough();
    batchedPipe(src, r.w);
    const seenAtClose: string[] = [];
    src.once('close', () => seenAtClose.push(r.bytes()));
    src.write('partial');
    src.destroy();
    await new Promise((res) => src.once('close', res));
    expect(seenAtClose).toEqual(['partial']);
    expect(r.w.writableEnded).toBe(false);
  });

  it('a destination already ended or destroyed gets nothing more (no write after end)', async () => {
    const r = recorder();
    const src = new PassThrough();
    batchedPipe(src, r.w);
    src.write('late');
    r.w.destroy();
    const errors: unknown[] = [];
    r.w.on('error', (e) => errors.push(e));
    await tick();
    src.end();
    await tick();
    expect(errors).toEqual([]);
    expect(r.calls).toEqual([]);
  });
});

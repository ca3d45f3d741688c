import { Readable } from 'node:stream';
import { encodeFrame, HEARTBEAT } from '../../../src/wire/frames';
import { NetworkError, readFrames, StreamError, type StreamItem } from './client-helpers';

const collect = async (chunks: string[], heartbeats = false): Promise<StreamItem[]> => {
  const out: StreamItem[] = [];
  for await (const i of readFrames(Readable.from(chunks.map((c) => Buffer.from(c))), { heartbeats }))
    out.push(i);
  return out;
};

/** Splits a string into pieces of `n` characters, to cut frames at every possible place. */
const pieces = (s: string, n: number): string[] => s.match(new RegExp(`[\\s\\S]{1,${n}}`, 'g')) ?? [];

describe('readFrames', () => {
  const body =
    encodeFrame({ data: Buffer.from('hello'), file: 'alloc/logs/web.stdout.0', offset: 5 }) +
    HEARTBEAT +
    encodeFrame({ file: 'alloc/logs/web.stdout.0', fileEvent: 'file truncated' }) +
    encodeFrame({ data: Buffer.from(', world'), file: 'alloc/logs/web.stdout.0', offset: 7 });

  it.each([1, 3, 7, 1000])('decodes frames split into %i-byte chunks, dropping heartbeats', async (n) => {
    const items = await collect(pieces(body, n));
    expect(items).toEqual([
      { kind: 'data', data: Buffer.from('hello'), file: 'alloc/logs/web.stdout.0', offset: 5 },
      { kind: 'event', event: 'file truncated', file: 'alloc/logs/web.stdout.0' },
      { kind: 'data', data: Buffer.from(', world'), file: 'alloc/logs/web.stdout.0', offset: 7 },
    ]);
  });

  it('surfaces heartbeats when asked', async () => {
    const items = await collect([HEARTBEAT, HEARTBEAT], true);
    expect(items).toEqual([{ kind: 'heartbeat' }, { kind: 'heartbeat' }]);
  });

  it('raises the text a node appended after the frames as a StreamError', async () => {
    const gen = readFrames(
      Readable.from([
        Buffer.from(
          encodeFrame({ data: Buffer.from('x'), file: 'f', offset: 1 }) +
            'failed to list entries: open alloc/logs: no such file or directory',
        ),
      ]),
    );
    const first = await gen.next();
    expect(first.value).toMatchObject({ kind: 'data' });
    const err = await gen.next().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamError);
    expect((err as StreamError).text).toBe(
      'failed to list entries: open alloc/logs: no such file or directory',
    );
  });

  it('an empty body yields nothing', async () => {
    expect(await collect([])).toEqual([]);
  });

  it('a body that breaks mid-stream is a NetworkError (so followers reconnect)', async () => {
    const broken = new Readable({
      read() {
        this.push(Buffer.from(encodeFrame({ data: Buffer.from('abc'), file: 'f', offset: 3 })));
        this.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      },
    });
    const got: StreamItem[] = [];
    const err = await (async () => {
      for await (const i of readFrames(broken)) got.push(i);
    })().catch((e: unknown) => e);
    expect(got).toHaveLength(1);
    expect(err).toBeInstanceOf(NetworkError);
  });
});

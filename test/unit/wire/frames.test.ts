import { encodeDataFrames, encodeFrame, FrameDecoder, MAX_FRAME_DATA } from '../../../src/wire/frames';
import { encodeJobDataFrame, encodeJobFrame } from '../../../src/wire/job-frames';

describe('frame encoding', () => {
  it('encodes Nomad’s byte-exact frame for the XSS test text (spec §13 #17)', () => {
    const data = Buffer.from('<script>alert(document.domain);</script>');
    expect(encodeFrame({ data, file: 'alloc/logs/web.stdout.0', offset: 40 })).toBe(
      '{"Data":"PHNjcmlwdD5hbGVydChkb2N1bWVudC5kb21haW4pOzwvc2NyaXB0Pg==","File":"alloc/logs/web.stdout.0","Offset":40}',
    );
  });

  it('a heartbeat is exactly {}', () => {
    expect(encodeFrame({})).toBe('{}');
  });

  it('an event frame keeps Data, File, FileEvent, Offset order and omits empty data', () => {
    expect(encodeFrame({ file: 'a', fileEvent: 'file truncated', offset: 3 })).toBe(
      '{"File":"a","FileEvent":"file truncated","Offset":3}',
    );
  });
});

describe('encodeDataFrames (bulk, straight into a Buffer)', () => {
  it('is byte-identical to encodeFrame per ≤ 64 KiB piece, Offset = end of each piece', () => {
    for (const len of [
      1,
      2,
      3,
      MAX_FRAME_DATA - 1,
      MAX_FRAME_DATA,
      MAX_FRAME_DATA + 1,
      16 * MAX_FRAME_DATA,
      1_000_003,
    ]) {
      const data = Buffer.alloc(len);
      for (let i = 0; i < len; i++) data[i] = (i * 7919) & 0xff;
      for (const [file, start] of [
        ['alloc/logs/web.stdout.0', 0],
        ['x"é\\n', 12345],
        ['', 7],
      ] as const) {
        let expected = '';
        for (let p = 0; p < len; p += MAX_FRAME_DATA) {
          const piece = data.subarray(p, Math.min(len, p + MAX_FRAME_DATA));
          expected += encodeFrame({ data: piece, file, offset: start + p + piece.length });
        }
        expect(encodeDataFrames(file, data, start).toString('utf8')).toBe(expected);
      }
    }
  });
  it('no data → no bytes', () => {
    expect(encodeDataFrames('a', Buffer.alloc(0), 5).length).toBe(0);
  });
});

describe('frame decoding', () => {
  it('decodes concatenated frames split at arbitrary byte boundaries', () => {
    const wire =
      encodeFrame({ data: Buffer.from('he}l{lo'), file: 'x"}{', offset: 7 }) +
      '{}' +
      encodeFrame({ data: Buffer.from('!'), file: 'x"}{', offset: 8 });
    for (let cut = 0; cut <= wire.length; cut++) {
      const d = new FrameDecoder();
      const frames = [...d.push(wire.slice(0, cut)), ...d.push(wire.slice(cut))];
      expect(frames.map((f) => f.data.toString()).join('')).toBe('he}l{lo!');
      expect(frames.filter((f) => f.heartbeat)).toHaveLength(1);
      expect(frames[0]!.file).toBe('x"}{');
      expect(d.trailer()).toBe('');
    }
  });

  it('keeps a multi-byte UTF-8 character split across Buffer chunks', () => {
    const wire = Buffer.from(encodeFrame({ data: Buffer.from('x'), file: 'logs/é€😀', offset: 1 }));
    for (let cut = 0; cut <= wire.length; cut++) {
      const d = new FrameDecoder();
      const frames = [...d.push(wire.subarray(0, cut)), ...d.push(wire.subarray(cut))];
      expect(frames.map((f) => f.file)).toEqual(['logs/é€😀']);
    }
  });

  it('surfaces error text appended after the frames (spec §6.10)', () => {
    const d = new FrameDecoder();
    const frames = d.push('{"Data":"YQ==","Offset":1}failed to list entries: boom');
    expect(frames).toHaveLength(1);
    expect(d.trailer()).toBe('failed to list entries: boom');
  });

  it('handles escapes (backslashes, quotes, braces) in names split anywhere, and escaped Data', () => {
    const wire = Buffer.from(
      encodeFrame({ data: Buffer.from('a\n"b'), file: 'x\\"}{\\', offset: 4 }) +
        '{"Data":"Y\\u0051==","File":"q","Offset":2}' +
        encodeJobFrame({ allocId: 'a1', nodeId: 'n1', task: 't\\"', data: Buffer.from('z'), offset: 1 }),
    );
    for (let cut = 0; cut <= wire.length; cut++) {
      const d = new FrameDecoder();
      const frames = [...d.push(wire.subarray(0, cut)), ...d.push(wire.subarray(cut))];
      expect(frames.map((f) => f.data.toString())).toEqual(['a\n"b', 'a', 'z']);
      expect(frames.map((f) => f.file)).toEqual(['x\\"}{\\', 'q', '']);
      expect(frames[2]!.source).toEqual({ allocId: 'a1', nodeId: 'n1', task: 't\\"' });
      expect(frames[0]!.raw['Data']).toBe(Buffer.from('a\n"b').toString('base64'));
      expect(d.trailer()).toBe('');
    }
  });

  it('keeps an unfinished frame as the trailer', () => {
    const d = new FrameDecoder();
    expect(d.push(Buffer.from('{"Data":"YQ=="}{"Data":"Y'))).toHaveLength(1);
    expect(d.trailer()).toBe('{"Data":"Y');
  });
});

describe('encodeJobDataFrame', () => {
  it('is byte-identical to encodeJobFrame', () => {
    for (const data of [Buffer.from('héllo\n'), Buffer.alloc(MAX_FRAME_DATA, 7), Buffer.alloc(0)])
      for (const extra of [{}, { file: 'alloc/logs/wéb.stdout.0', offset: 9, prefix: '[wéb] "x"' }]) {
        const f = { allocId: 'a"1', nodeId: 'n1', task: 'tå', data, ...extra };
        expect(encodeJobDataFrame(f).toString('utf8')).toBe(encodeJobFrame(f));
      }
  });
});

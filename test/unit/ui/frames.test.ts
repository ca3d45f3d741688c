import { encodeDataFrames, encodeFrame } from '../../../src/wire/frames';
import { base64ToBytes, FrameScanner } from '../../../ui/src/lib/frames';

describe("the browser's frame scanner", () => {
  test('base64 decoding matches Node for every padding length', () => {
    for (let n = 0; n < 70; n++) {
      const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff));
      expect(Buffer.from(base64ToBytes(bytes.toString('base64')))).toEqual(bytes);
    }
  });

  test('frames the server encodes come back byte for byte, whatever the chunking', () => {
    const data = Buffer.from('héllo\nwörld\n'.repeat(9000));
    const wire =
      encodeFrame({}) +
      encodeDataFrames('alloc/logs/web.stdout.0', data, 100).toString('latin1') +
      encodeFrame({ file: 'alloc/logs/web.stdout.0', fileEvent: 'file truncated' });
    for (const size of [1, 7, 4096, wire.length]) {
      const s = new FrameScanner();
      const frames = [];
      for (let i = 0; i < wire.length; i += size) frames.push(...s.push(wire.slice(i, i + size)));
      expect(frames[0]!.heartbeat).toBe(true);
      const got = Buffer.concat(frames.filter((f) => f.data.length).map((f) => Buffer.from(f.data)));
      expect(got.equals(data)).toBe(true);
      expect(frames.at(-2)!.offset).toBe(100 + data.length);
      expect(frames.at(-1)!.fileEvent).toBe('file truncated');
      expect(s.trailer()).toBe('');
    }
  });

  test('an error appended after the frames is the trailer', () => {
    const s = new FrameScanner();
    expect(s.push('{"Data":"aGk=","Offset":2}\nUnknown allocation')).toHaveLength(1);
    expect(s.trailer()).toBe('\nUnknown allocation'.trimStart());
  });
});

import { Writable } from 'node:stream';
import { lastLines, countLines, bytesForLines } from '../../../../src/cli/output/lines';
import { Progress } from '../../../../src/cli/output/progress';
import { humanBytes, table } from '../../../../src/cli/output/format';

describe('lastLines (for -tail -n)', () => {
  const b = (s: string) => Buffer.from(s);
  it.each([
    ['a\nb\nc\n', 2, 'b\nc\n'],
    ['a\nb\nc', 2, 'b\nc'],
    ['a\nb\n', 5, 'a\nb\n'],
    ['a\nb\n', 0, ''],
    ['', 3, ''],
    ['\n\n\n', 2, '\n\n'],
  ])('%j, %i lines → %j', (input, n, want) => {
    expect(lastLines(b(input), n).toString()).toBe(want);
  });
  it('counts a final unterminated line', () => {
    expect(countLines(b('a\nb'))).toBe(2);
    expect(countLines(b('a\nb\n'))).toBe(2);
  });
  it('asks for at least 4 KiB', () => {
    expect(bytesForLines(1)).toBe(4096);
    expect(bytesForLines(1000)).toBe(120_000);
  });
});

describe('Progress (bytes and rate on stderr for redirected transfers)', () => {
  const sink = () => {
    let text = '';
    const w = new Writable({
      write: (c: Buffer, _e, cb) => ((text += c.toString()), cb()),
    }) as unknown as NodeJS.WriteStream;
    return { w, text: () => text };
  };
  it('prints bytes, total, percent and rate when enabled', () => {
    const s = sink();
    const p = new Progress(2048, s.w, true, 0);
    p.add(1024);
    p.finish();
    expect(s.text()).toMatch(/1\.0 KiB \/ 2\.0 KiB \(50%\)\s+[\d.]+ (B|KiB|MiB|GiB)\/s/);
    expect(s.text().endsWith('\n')).toBe(true);
  });
  it('prints nothing when disabled (stderr not a terminal, or stdout is one)', () => {
    const s = sink();
    const p = new Progress(10, s.w, false, 0);
    p.add(5);
    p.finish();
    expect(s.text()).toBe('');
  });
});

describe('formatting', () => {
  it('humanBytes', () => {
    expect(humanBytes(5)).toBe('5 B');
    expect(humanBytes(1536)).toBe('1.5 KiB');
    expect(humanBytes(1024 ** 3)).toBe('1.0 GiB');
  });
  it('table pads every column but the last', () => {
    expect(
      table([
        ['ID', 'Name'],
        ['1', 'x'],
      ]),
    ).toBe('ID  Name\n1   x\n');
  });
});

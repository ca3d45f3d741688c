import { parseAnsi, stripAnsi } from '../../../ui/src/lib/ansi';

describe('ANSI colours in log lines', () => {
  test('plain text is one unstyled run', () => {
    expect(parseAnsi('plain')).toEqual([{ text: 'plain', style: {} }]);
    expect(parseAnsi('')).toEqual([]);
  });

  test('16 colours, bold, reset and default colour', () => {
    const segs = parseAnsi('\x1b[1;31mERR\x1b[0m ok \x1b[92mgreen\x1b[39m back');
    expect(segs).toEqual([
      { text: 'ERR', style: { bold: true, fg: 1 } },
      { text: ' ok ', style: {} },
      { text: 'green', style: { fg: 10 } },
      { text: ' back', style: {} },
    ]);
  });

  test('256 colours and true colour become exact CSS colours', () => {
    expect(parseAnsi('\x1b[38;5;196mx')[0]!.style.fg).toBe('rgb(255,0,0)');
    expect(parseAnsi('\x1b[38;5;244mx')[0]!.style.fg).toBe('rgb(128,128,128)');
    expect(parseAnsi('\x1b[48;2;1;2;300mx')[0]!.style.bg).toBe('rgb(1,2,255)');
    expect(parseAnsi('\x1b[38;5;3mx')[0]!.style.fg).toBe(3);
  });

  test('other escape sequences are dropped, never shown', () => {
    const line = '\x1b]0;title\x07\x1b[2Kdone\x1b[?25l';
    expect(stripAnsi(line)).toBe('done');
    expect(
      parseAnsi(line)
        .map((s) => s.text)
        .join(''),
    ).toBe('done');
  });
});

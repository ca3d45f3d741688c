import { LogBuffer } from '../../../ui/src/lib/log-buffer';

const visible = (b: LogBuffer, filtered = false) =>
  Array.from({ length: b.count(filtered) }, (_, i) => b.at(i, filtered)!.text);

describe('the log page buffer', () => {
  test('splits text into lines across chunks, keeping the partial line last', () => {
    const b = new LogBuffer(100);
    expect(b.append('one\ntw')).toBe(1);
    expect(visible(b)).toEqual(['one', 'tw']);
    expect(b.at(1, false)!.partial).toBe(true);
    expect(b.append('o\r\nthree\n')).toBe(2);
    expect(visible(b)).toEqual(['one', 'two', 'three']);
  });

  test('is bounded: old lines are dropped in batches and counted, sequence numbers stay stable', () => {
    const b = new LogBuffer(1000);
    for (let i = 0; i < 50_000; i++) b.append(`line ${i}\n`);
    expect(b.count(false)).toBeLessThanOrEqual(1000);
    expect(b.dropped + b.count(false)).toBe(50_000);
    const last = b.at(b.count(false) - 1, false)!;
    expect(last).toEqual({ seq: 49_999, text: 'line 49999', partial: false });
  });

  test('search filters case-insensitively, ignores colour codes, and stays current as lines arrive', () => {
    const b = new LogBuffer(10);
    b.append('GET /a\nPOST /b\n\x1b[31mget\x1b[0m /c\n');
    b.setQuery('get');
    expect(visible(b, true)).toEqual(['GET /a', '\x1b[31mget\x1b[0m /c']);
    for (let i = 0; i < 20; i++) b.append(i % 2 ? `get ${i}\n` : `put ${i}\n`);
    expect(visible(b, true).every((l) => /get/i.test(l))).toBe(true);
    // Matches of dropped lines are gone too.
    expect(b.matchCount()).toBe(visible(b, true).length);
    expect(b.count(true)).toBeLessThan(b.count(false));
    expect(b.text(true)).not.toContain('\x1b');
  });
});

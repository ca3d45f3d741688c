import fs from 'node:fs';
import { detectContentType } from '../../../../src/agent/fs/sniff';
import { goFileMode } from '../../../../src/agent/fs/filemode';
import { compareUtf8 } from '../../../../src/agent/fs/ls';
import { formatModTime } from '../../../../src/agent/fs/modtime';
import { safeContentType } from '../../../../src/agent/fs/untrusted';

const C = fs.constants;

describe('FileMode strings match Go FileMode.String()', () => {
  it.each([
    [C.S_IFDIR | 0o755, 'drwxr-xr-x'],
    [C.S_IFDIR | 0o1777, 'dtrwxrwxrwx'],
    [C.S_IFREG | 0o644, '-rw-r--r--'],
    [C.S_IFLNK | 0o777, 'Lrwxrwxrwx'],
    [C.S_IFIFO | 0o600, 'prw-------'],
    [C.S_IFREG | 0o4755, 'urwxr-xr-x'],
    [C.S_IFREG | 0o2755, 'grwxr-xr-x'],
    [C.S_IFCHR | 0o666, 'Dcrw-rw-rw-'],
    [C.S_IFBLK | 0o660, 'Drw-rw----'],
    [C.S_IFSOCK | 0o755, 'Srwxr-xr-x'],
    [C.S_IFREG | 0o000, '----------'],
  ])('mode %o is %s', (mode, want) => expect(goFileMode(mode)).toBe(want));
});

describe('ModTime is RFC 3339 with trimmed nanoseconds in the local zone', () => {
  // The suite runs with the process zone; compute the expected suffix the same way Go would.
  const zone = (ms: number): string => {
    const off = -new Date(ms).getTimezoneOffset();
    if (off === 0) return 'Z';
    const p = (n: number) => String(n).padStart(2, '0');
    return `${off < 0 ? '-' : '+'}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`;
  };
  it('keeps every nanosecond and trims trailing zeros', () => {
    const s = formatModTime(1458056456822238153n);
    expect(s).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.822238153([+-]\d\d:\d\d|Z)$/);
    expect(s.endsWith(zone(1458056456822))).toBe(true);
    expect(formatModTime(1458056400414236000n)).toMatch(/:00\.414236([+-]|Z)/);
  });
  it('has no fraction for whole seconds', () => {
    expect(formatModTime(1458056400000000000n)).toMatch(/T\d\d:\d\d:00([+-]\d\d:\d\d|Z)$/);
  });
  it('agrees with Date for the wall-clock fields', () => {
    if (zone(0) === 'Z') expect(formatModTime(1458056400000000000n)).toBe('2016-03-15T15:40:00Z');
  });
});

describe('content sniffing (§13.84)', () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
  it.each([
    [Buffer.from('GIF89a....'), 'image/gif'],
    [png, 'image/png'],
    [Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]), 'image/jpeg'],
    [Buffer.from([0, 1, 2, 3, 4, 5]), 'application/octet-stream'],
    [Buffer.from('package main\n\nfunc main() {}\n'), 'text/plain; charset=utf-8'],
    [Buffer.from('job "x" { group "y" {} }\n'), 'text/plain; charset=utf-8'],
    [Buffer.from('<script>alert(document.domain);</script>'), 'text/html; charset=utf-8'],
    [Buffer.from('  <!DOCTYPE html><html>'), 'text/html; charset=utf-8'],
    [Buffer.from('<?xml version="1.0"?>'), 'text/xml; charset=utf-8'],
    [Buffer.from('%PDF-1.4'), 'application/pdf'],
    [Buffer.from([0x1f, 0x8b, 0x08, 0]), 'application/x-gzip'],
    [Buffer.from('PK\x03\x04'), 'application/zip'],
  ])('%j sniffs as %s', (buf, want) => expect(detectContentType(buf)).toBe(want));
  it('looks only at the first 512 bytes', () => {
    expect(detectContentType(Buffer.concat([Buffer.alloc(512, 'a'), Buffer.from([0, 1, 2])]))).toBe(
      'text/plain; charset=utf-8',
    );
  });
  it('HTML flavours become exactly text/plain for untrusted content', () => {
    expect(safeContentType('text/html; charset=utf-8')).toBe('text/plain');
    expect(safeContentType('text/plain; charset=utf-8')).toBe('text/plain; charset=utf-8');
  });
});

describe('ls sorts names in the byte order of their UTF-8 encodings, as Go does', () => {
  // Code-unit order (JavaScript's default) puts U+1F600 (a surrogate pair) before U+FF21; UTF-8
  // byte order puts it after. ASCII case, accents, CJK and emoji side by side.
  const names = [
    'b',
    'B',
    'a',
    'é',
    'e\u0301',
    '\uff21',
    '\u{1F600}',
    '\u{1F600}x',
    '日本',
    '',
    'a.log',
    'a',
    '~',
    '\u007f',
  ];
  const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

  it('gives the same order as comparing the encoded bytes', () => {
    expect([...names].sort(compareUtf8)).toEqual([...names].sort(byBytes));
    expect([...names].sort()).not.toEqual([...names].sort(byBytes)); // the case that needs it
  });

  it('agrees with the byte comparison on every pair, sign for sign', () => {
    for (const a of names)
      for (const b of names) expect(Math.sign(compareUtf8(a, b))).toBe(Math.sign(byBytes(a, b)));
  });
});

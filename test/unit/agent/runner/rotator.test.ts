import fs from 'node:fs';
import path from 'node:path';
import { LogRotator, NEWLINE_WINDOW } from '../../../../src/agent/runner/rotator';
import { tmpDir } from '../../../helpers/tmp';

describe('LogRotator', () => {
  let t: ReturnType<typeof tmpDir>;
  beforeEach(() => (t = tmpDir()));
  afterEach(() => t.cleanup());
  const read = (i: number) => fs.readFileSync(path.join(t.dir, `web.stdout.${i}`), 'utf8');
  const files = () => fs.readdirSync(t.dir).sort();

  it('cuts at the last newline within 32 KiB of the limit so lines are not split', () => {
    const r = new LogRotator({ dir: t.dir, base: 'web.stdout', maxFiles: 10, maxFileBytes: 100_000 });
    const line = `${'a'.repeat(999)}\n`;
    r.write(Buffer.from('#'.repeat(500)));
    r.write(Buffer.from(line.repeat(150)));
    r.close();
    // 500 + 99 lines = 99 500 bytes (the next line would cross the limit), rest in file 1.
    expect(read(0).length).toBe(99_500);
    expect(read(1).length).toBe(51_000);
    expect(read(0).endsWith('\n')).toBe(true);
  });

  it('splits a line longer than the newline window at the limit', () => {
    const r = new LogRotator({
      dir: t.dir,
      base: 'web.stdout',
      maxFiles: 10,
      maxFileBytes: NEWLINE_WINDOW * 2,
    });
    r.write(Buffer.from('b'.repeat(NEWLINE_WINDOW * 3)));
    r.close();
    expect(read(0).length).toBe(NEWLINE_WINDOW * 2);
    expect(read(1).length).toBe(NEWLINE_WINDOW);
  });

  it('moves a line that does not fit near the limit whole into the next file', () => {
    const r = new LogRotator({ dir: t.dir, base: 'web.stdout', maxFiles: 10, maxFileBytes: 100_000 });
    r.write(Buffer.from(`${'c'.repeat(89_999)}\n`));
    r.write(Buffer.from(`${'d'.repeat(19_999)}\n`));
    r.close();
    expect(read(0)).toBe(`${'c'.repeat(89_999)}\n`);
    expect(read(1)).toBe(`${'d'.repeat(19_999)}\n`);
  });

  it('continues at the highest existing index and skips a full one', () => {
    fs.writeFileSync(path.join(t.dir, 'web.stdout.3'), 'x'.repeat(10));
    let r = new LogRotator({ dir: t.dir, base: 'web.stdout', maxFiles: 10, maxFileBytes: 100 });
    r.write(Buffer.from('y\n'));
    r.close();
    expect(read(3)).toBe('xxxxxxxxxxy\n');
    fs.writeFileSync(path.join(t.dir, 'web.stdout.4'), 'z'.repeat(100));
    r = new LogRotator({ dir: t.dir, base: 'web.stdout', maxFiles: 10, maxFileBytes: 100 });
    expect(r.currentIndex).toBe(5);
    r.close();
  });

  it('keeps at most max_files, deleting the lowest indexes', () => {
    const r = new LogRotator({ dir: t.dir, base: 'web.stdout', maxFiles: 3, maxFileBytes: 10 });
    for (let i = 0; i < 6; i++) r.write(Buffer.from(`${String(i).repeat(9)}\n`));
    r.close();
    expect(files()).toEqual(['web.stdout.3', 'web.stdout.4', 'web.stdout.5']);
    expect(read(5)).toBe('555555555\n');
  });
});

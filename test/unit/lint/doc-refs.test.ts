import fs from 'node:fs';
import path from 'node:path';

/**
 * Comments in src/ point to docs/wire.md by section (`docs/wire.md, "Logs"`) instead of citing
 * documents outside the repository; every such pointer must name a heading that exists, so a
 * renamed section cannot leave comments pointing nowhere.
 */
const ROOT = path.resolve(__dirname, '../../..');

const sourceFiles = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? sourceFiles(p) : d.name.endsWith('.ts') ? [p] : [];
  });

describe('pointers into docs/wire.md', () => {
  const headings = new Set(
    fs
      .readFileSync(path.join(ROOT, 'docs/wire.md'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('## '))
      .map((l) => l.slice(3).trim()),
  );
  const pointers = sourceFiles(path.join(ROOT, 'src')).flatMap((f) =>
    [...fs.readFileSync(f, 'utf8').matchAll(/docs\/wire\.md,? "([^"]+)"/g)].map((m) => ({
      file: path.relative(ROOT, f),
      section: m[1]!,
    })),
  );

  it('there are pointers to check', () => {
    expect(pointers.length).toBeGreaterThan(5);
  });

  it('every pointer names a section heading of docs/wire.md', () => {
    expect(pointers.filter((p) => !headings.has(p.section))).toEqual([]);
  });
});

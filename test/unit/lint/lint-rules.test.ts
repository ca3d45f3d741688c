import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The lint rules hold: each fixture in test/fixtures/lint/ is linted with the repository's own
 * eslint.config.mjs as if it lay in src/<its name>/, and exactly its lines marked `✗` must be
 * reported by a fleetgate rule. Then every folder of the layer table is tried against every
 * folder it may not import (as a barrel import), and the table itself must have no cycle, which
 * is what keeps the folders of src/ free of import cycles.
 */
const ROOT = path.resolve(__dirname, '../../..');
const FIXTURES = path.join(ROOT, 'test/fixtures/lint');

interface Layer {
  may: string[];
  notPackages?: string[];
}
interface Linted {
  filePath: string;
  messages: Array<{ ruleId: string | null; line: number; message: string }>;
}

/** ESLint's Node API in a child: jest's VM cannot load the ESM config. */
const lint = (inputs: Array<{ filePath: string; text: string }>) => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'lint/lint-texts.mjs')], {
    cwd: ROOT,
    input: JSON.stringify(inputs),
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`lint-texts failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as { results: Linted[]; layers: Record<string, Layer> };
};

const ours = (l: Linted) => l.messages.filter((m) => m.ruleId?.startsWith('fleetgate/'));

describe('lint rules', () => {
  const fixtures = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.ts'));
  let linted: ReturnType<typeof lint>;
  const folders = fs
    .readdirSync(path.join(ROOT, 'src'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);

  beforeAll(() => {
    const inputs = fixtures.map((f) => ({
      filePath:
        f === 'comments.ts' ? 'src/wire/comments-fixture.ts' : `src/${path.basename(f, '.ts')}/fixture.ts`,
      text: fs.readFileSync(path.join(FIXTURES, f), 'utf8'),
    }));
    inputs.push({ filePath: 'src/newfolder/fixture.ts', text: 'export const x = 1;\n' });
    // Every folder against every folder it may not import, as the barrel import lint once missed.
    const layers = lint([]).layers;
    for (const [from, layer] of Object.entries(layers)) {
      const refused = folders.filter((f) => f !== from && !layer.may.includes(f));
      const allowed = layer.may.map((f) => `import '../${f}';`);
      inputs.push({
        filePath: `src/${from}/generated-fixture.ts`,
        text: [...refused.map((f) => `import '../${f}';`), ...allowed, 'export {};', ''].join('\n'),
      });
    }
    linted = lint(inputs);
  }, 180_000);

  const resultFor = (filePath: string) => linted.results.find((r) => r.filePath === filePath)!;

  it('has a fixture for every folder of src/ that may not import everything', () => {
    const open = Object.entries(linted.layers)
      .filter(([from, l]) => folders.some((f) => f !== from && !l.may.includes(f)))
      .map(([from]) => `${from}.ts`);
    expect(open.filter((f) => !fixtures.includes(f))).toEqual([]);
  });

  it.each(fixtures)('%s: exactly the lines marked ✗ are reported', (f) => {
    const text = fs.readFileSync(path.join(FIXTURES, f), 'utf8');
    const marked = text
      .split('\n')
      .map((line, i) => (line.includes('✗') ? i + 1 : 0))
      .filter((n) => n > 0);
    expect(marked.length).toBeGreaterThan(0);
    const filePath =
      f === 'comments.ts' ? 'src/wire/comments-fixture.ts' : `src/${path.basename(f, '.ts')}/fixture.ts`;
    const reported = ours(resultFor(filePath));
    expect([...new Set(reported.map((m) => m.line))].sort((a, b) => a - b)).toEqual(marked);
  });

  it('a folder that is not in the layer table is refused', () => {
    const m = ours(resultFor('src/newfolder/fixture.ts'));
    expect(m.map((x) => x.ruleId)).toEqual(['fleetgate/layers']);
    expect(m[0]!.message).toMatch(/not in the layer table/);
  });

  it('every folder of src/ is in the layer table, and each refused folder is reported', () => {
    expect(folders.filter((f) => !(f in linted.layers))).toEqual([]);
    for (const [from, layer] of Object.entries(linted.layers)) {
      const refused = folders.filter((f) => f !== from && !layer.may.includes(f));
      const reported = ours(resultFor(`src/${from}/generated-fixture.ts`));
      expect({ from, lines: reported.map((m) => m.line) }).toEqual({
        from,
        lines: refused.map((_, i) => i + 1),
      });
    }
  });

  it('the layer table has no cycle, so neither can the folders of src/', () => {
    const state = new Map<string, 'open' | 'done'>();
    const visit = (f: string, trail: string[]): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') throw new Error(`layer cycle: ${[...trail, f].join(' -> ')}`);
      state.set(f, 'open');
      for (const to of linted.layers[f]?.may ?? []) visit(to, [...trail, f]);
      state.set(f, 'done');
    };
    for (const f of Object.keys(linted.layers)) visit(f, []);
  });
});

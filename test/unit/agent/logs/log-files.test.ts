import { errors } from '../../../../src/errors';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findClosest, listLogFiles, startPosition, type LogFile } from '../../../../src/agent/logs/log-files';

const files = (prefix: string, n: number, size = 100): LogFile[] =>
  Array.from({ length: n }, (_, i) => ({ name: `${prefix}.${i}`, index: i, size }));
const stdout = files('foo.stdout', 4);
const stderr = files('foo.stderr', 3);
const pick = (fs_: LogFile[], idx: number, off: number) => {
  const p = findClosest(fs_, idx, off);
  return p && [p.file.name, p.offset];
};

describe('findClosest (§13.45–48)', () => {
  it('no files → nothing', () => expect(findClosest([], 0, 0)).toBeUndefined());
  it.each([
    [stdout, 0, 0, 'foo.stdout.0', 0],
    [stdout, 0, -100, 'foo.stdout.0', 0],
    [stdout, 1, -1000, 'foo.stdout.0', 0],
    [stderr, 0, 0, 'foo.stderr.0', 0],
    [stdout, 1, 0, 'foo.stdout.1', 0],
    [stdout, 1, 10, 'foo.stdout.1', 10],
    [stdout, 1, 110, 'foo.stdout.2', 10],
    [stderr, 1, 0, 'foo.stderr.1', 0],
    [stdout, Infinity, 0, 'foo.stdout.3', 0],
    [stdout, Infinity, Infinity, 'foo.stdout.3', 100],
    [stdout, Infinity, -10, 'foo.stdout.3', 90],
    [stderr, Infinity, 0, 'foo.stderr.2', 0],
  ])('%#: idx %d off %d → %s @%d', (fs_, idx, off, name, at) =>
    expect(pick(fs_, idx, off)).toEqual([name, at]),
  );
  it('index gaps: desired 7 with only 0–2 → the newest file', () =>
    expect(pick(stderr, 7, 0)).toEqual(['foo.stderr.2', 0]));
});

describe('start position (§6.7 verified consequences, with the origin=end&offset=0 policy)', () => {
  const three = files('web.stdout', 3);
  it.each([
    ['end', 0, 'web.stdout.2', 100], // wire policy: the END of the newest file (Nomad: its start)
    ['end', 5, 'web.stdout.2', 95],
    ['end', 250, 'web.stdout.0', 50],
    ['end', 1000, 'web.stdout.0', 0],
    ['start', -5, 'web.stdout.0', 95],
    ['start', 250, 'web.stdout.2', 50],
    ['start', 1000, 'web.stdout.2', 100],
    ['end', -5, 'web.stdout.2', 5],
  ] as const)('origin=%s offset=%d → %s @%d', (origin, off, name, at) => {
    const p = startPosition(three, origin, off);
    expect(p && [p.file.name, p.offset]).toEqual([name, at]);
  });
});

describe('listing', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetgate-logs-'));
    fs.mkdirSync(path.join(dir, 'alloc/logs'), { recursive: true });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  it('matches only <task>.<type>.<N> files, sorted numerically; FIFOs and other tasks are ignored', async () => {
    for (const n of [
      'web.stdout.10',
      'web.stdout.2',
      'web.stdout.007',
      '.web.stdout.fifo',
      'web.stderr.0',
      'api.stdout.0',
    ]) {
      fs.writeFileSync(path.join(dir, 'alloc/logs', n), 'x');
    }
    fs.mkdirSync(path.join(dir, 'alloc/logs/web.stdout.99'));
    const l = await listLogFiles(dir, 'web', 'stdout');
    expect(l.map((f) => f.name)).toEqual(['web.stdout.2', 'web.stdout.007', 'web.stdout.10']);
  });
  it('a suffix that is not a number fails like Nomad', async () => {
    fs.writeFileSync(path.join(dir, 'alloc/logs/web.stdout.0.gz'), 'x');
    await expect(listLogFiles(dir, 'web', 'stdout')).rejects.toThrow(
      'failed to convert "0.gz" to a log index: strconv.Atoi: parsing "0.gz": invalid syntax',
    );
  });
  it('a missing logs dir is reported relative to the alloc dir, with the OS error as its cause', async () => {
    fs.rmSync(path.join(dir, 'alloc/logs'), { recursive: true });
    const e = await listLogFiles(dir, 'web', 'stdout').catch((x: unknown) => x);
    expect(errors.listEntriesFailed.is(e)).toBe(true);
    expect((e as Error).message).toBe('failed to list entries: open alloc/logs: no such file or directory');
    expect(((e as Error).cause as { code?: string }).code).toBe('ENOENT');
  });
});

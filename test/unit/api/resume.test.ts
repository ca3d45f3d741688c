import { logResumePoint, tailPosition } from '../../../src/wire/follow/resume';

const base = 'web.stdout.';
const files = [
  { index: 0, size: 100 },
  { index: 1, size: 100 },
  { index: 2, size: 40 },
];

describe('logResumePoint (origin=start offset that lands on File+Offset)', () => {
  it('adds the sizes of the older files to the offset in the current file', () => {
    const p = logResumePoint(files, base, { file: 'alloc/logs/web.stdout.1', offset: 30 });
    expect(p.offset).toBe(130);
    expect(p.lost).toBe(false);
  });

  it('accepts the first frame at exactly the expected place, and trims bytes already delivered', () => {
    const { check } = logResumePoint(files, base, { file: 'alloc/logs/web.stdout.1', offset: 30 });
    expect(check('alloc/logs/web.stdout.1', 30)).toEqual({ ok: true, skip: 0 });
    expect(check('alloc/logs/web.stdout.1', 25)).toEqual({ ok: true, skip: 5 });
    expect(check('alloc/logs/web.stdout.1', 31).ok).toBe(false);
    expect(check('alloc/logs/web.stdout.2', 0).ok).toBe(false);
  });

  it('when the current file was complete, data from the next file at 0 is right', () => {
    const { check, offset } = logResumePoint(files, base, { file: 'alloc/logs/web.stdout.1', offset: 100 });
    expect(offset).toBe(200);
    expect(check('alloc/logs/web.stdout.2', 0)).toEqual({ ok: true, skip: 0 });
    expect(check('alloc/logs/web.stdout.2', 10).ok).toBe(false);
  });

  it('rejects a frame from a later file when a file in between would be skipped', () => {
    const { check } = logResumePoint(files, base, { file: 'alloc/logs/web.stdout.0', offset: 100 });
    expect(check('alloc/logs/web.stdout.2', 0).ok).toBe(false);
  });

  it('a file purged while disconnected is reported lost and resumes at the next file', () => {
    const p = logResumePoint(files.slice(1), base, { file: 'alloc/logs/web.stdout.0', offset: 50 });
    expect(p.lost).toBe(true);
    expect(p.offset).toBe(0);
    expect(p.check('alloc/logs/web.stdout.1', 0)).toEqual({ ok: true, skip: 0 });
  });

  it('the older files counted are only those still present (purged ones shift the walk)', () => {
    const p = logResumePoint(files.slice(1), base, { file: 'alloc/logs/web.stdout.2', offset: 7 });
    expect(p.offset).toBe(107);
  });
});

describe('tailPosition (origin=end offset=N as an exact File+Offset)', () => {
  const three = [
    { index: 0, size: 100 },
    { index: 1, size: 100 },
    { index: 2, size: 100 },
  ];
  it.each([
    [0, 'alloc/logs/web.stdout.2', 100],
    [5, 'alloc/logs/web.stdout.2', 95],
    [250, 'alloc/logs/web.stdout.0', 50],
    [1000, 'alloc/logs/web.stdout.0', 0],
  ])('%i bytes back → %s @ %i', (back, file, offset) => {
    expect(tailPosition(three, base, back)).toEqual({ file, offset });
  });
  it('no files: undefined (the server decides)', () => {
    expect(tailPosition([], base, 10)).toBeUndefined();
  });
});

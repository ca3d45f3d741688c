import { parseGoDuration } from '../../../src/wire/duration';

describe('parseGoDuration', () => {
  it.each([
    ['8h', 8 * 3_600_000],
    ['30m', 1_800_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['90s', 90_000],
    ['500ms', 500],
    ['0', 0],
    ['-1m', -60_000],
  ])('%s', (s, ms) => expect(parseGoDuration(s)).toBe(ms));
  it.each(['', '8', 'h', '1d', '1h 30m', 'abc'])('rejects %j', (s) =>
    expect(() => parseGoDuration(s)).toThrow(/invalid duration/),
  );
});

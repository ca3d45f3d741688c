import { isValidMetaKey, parseMetaApplyBody } from '../../../src/wire/meta';

describe('metadata key validation', () => {
  it.each(['connect.log_level', 'a-b.c_d', '_x', 'größe', 'a1.b2.c3'])(
    '%s is a valid dotted identifier',
    (k) => {
      expect(isValidMetaKey(k)).toBe(true);
    },
  );
  it.each(['.bad', 'bad.', 'a..b', ' bad', '*', '%', 'a/b', 'bad.-part', '1abc', '-a'])(
    '%j is invalid',
    (k) => {
      expect(isValidMetaKey(k)).toBe(false);
    },
  );
  it('ignores unknown top-level body fields', () => {
    expect(parseMetaApplyBody('{"Meta":{"a":"b"},"Other":1}')).toEqual({ Meta: { a: 'b' } });
  });
});

import { HttpError } from '../../../src/errors';
import { parseGoBool, parseGoInt } from '../../../src/wire/go-parse';
import { parseLogs, parseReadAt, parseStream, type Query } from '../../../src/wire/params';

const req = (_allocId: string, query: Record<string, string>): Query => ({ get: (n) => query[n] ?? '' });

const err = (f: () => unknown): HttpError => {
  try {
    f();
  } catch (e) {
    if (e instanceof HttpError) return e;
    throw e;
  }
  throw new Error('expected an HttpError');
};

describe('Go-compatible scalar parsing', () => {
  it('booleans follow strconv.ParseBool; empty takes the default', () => {
    for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True'])
      expect(parseGoBool('follow', t, false)).toBe(true);
    for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False'])
      expect(parseGoBool('follow', f, true)).toBe(false);
    expect(parseGoBool('follow', '', true)).toBe(true);
    expect(err(() => parseGoBool('follow', 'yes', true))).toMatchObject({
      status: 400,
      message: 'failed to parse follow field to boolean: strconv.ParseBool: parsing "yes": invalid syntax',
    });
  });
  it('integers follow strconv.ParseInt base 10', () => {
    expect(parseGoInt('offset', '+12')).toBe(12);
    expect(parseGoInt('offset', '-5')).toBe(-5);
    expect(parseGoInt('offset', '007')).toBe(7);
    expect(err(() => parseGoInt('offset', '1e3'))).toMatchObject({
      status: 400,
      message: 'error parsing offset: strconv.ParseInt: parsing "1e3": invalid syntax',
    });
    expect(err(() => parseGoInt('offset', '99999999999999999999')).message).toBe(
      'error parsing offset: strconv.ParseInt: parsing "99999999999999999999": value out of range',
    );
  });
});

describe('per-route validation order', () => {
  it('readat without a path, or an offset fails in that order', () => {
    expect(err(() => parseReadAt(req('foo', {}))).message).toBe('must provide a file name');
    expect(err(() => parseReadAt(req('foo', { path: '/path/to/file' }))).message).toBe(
      'error parsing offset: strconv.ParseInt: parsing "": invalid syntax',
    );
    expect(parseReadAt(req('foo', { path: 'x', offset: '3' }))).toEqual({
      path: 'x',
      offset: 3,
      limit: 0,
    });
  });
  it('a readat limit that does not parse is a 400', () => {
    expect(err(() => parseReadAt(req('foo', { path: 'x', offset: '0', limit: 'ten' }))).status).toBe(400);
  });
  it('stream defaults follow to true and origin to start; an unknown origin is a 400', () => {
    expect(parseStream(req('a', { path: 'x' }))).toMatchObject({ follow: true, offset: 0, origin: 'start' });
    expect(err(() => parseStream(req('a', { path: 'x', origin: 'middle' })))).toMatchObject({
      status: 400,
      message: 'origin must be start or end',
    });
    expect(err(() => parseStream(req('a', { path: 'x', follow: 'maybe' }))).status).toBe(400);
  });
  it('logs validates task, follow, plain, type, offset, origin in order', () => {
    expect(err(() => parseLogs(req('foo', {}))).message).toBe('must provide task name');
    expect(err(() => parseLogs(req('foo', { task: 'foo', follow: 'x', type: 'bad' }))).message).toContain(
      'follow field',
    );
    expect(err(() => parseLogs(req('foo', { task: 'foo', plain: 'x', type: 'bad' }))).message).toContain(
      'plain field',
    );
    expect(err(() => parseLogs(req('foo', { task: 'foo' }))).message).toBe(
      'must provide log type (stdout/stderr)',
    );
    expect(
      err(() => parseLogs(req('foo', { task: 'foo', type: 'stdout', offset: 'x', origin: 'bad' }))).message,
    ).toContain('error parsing offset');
    expect(err(() => parseLogs(req('foo', { task: 'foo', type: 'stdout', origin: 'bad' }))).message).toBe(
      'origin must be start or end',
    );
    expect(parseLogs(req('foo', { task: 'foo', type: 'stderr' }))).toEqual({
      task: 'foo',
      follow: false,
      plain: false,
      type: 'stderr',
      offset: 0,
      origin: 'start',
    });
  });
});

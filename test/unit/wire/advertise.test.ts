import { advertiseOrigin } from '../../../src/wire';

describe('advertiseOrigin', () => {
  test.each([
    ['http://10.0.0.5:4647', 'http://10.0.0.5:4647'],
    ['http://10.0.0.5:4647/', 'http://10.0.0.5:4647'],
    ['https://node-1.example:8443', 'https://node-1.example:8443'],
    ['http://[::1]:4647', 'http://[::1]:4647'],
    ['http://agent-1', 'http://agent-1'],
  ])('%s is the origin %s', (raw, origin) => {
    expect(advertiseOrigin(raw)).toBe(origin);
  });

  test.each([
    'http://127.0.0.1:9000/internal/admin?x=',
    'http://127.0.0.1:9000/internal',
    'http://127.0.0.1:9000?x=1',
    'http://127.0.0.1:9000?',
    'http://127.0.0.1:9000#frag',
    'http://user:pass@127.0.0.1:9000',
    'http://user@127.0.0.1:9000',
    'http://127.0.0.1:9000\\admin',
    'file:///etc/passwd',
    'gopher://127.0.0.1:6379',
    'ftp://h:21',
    '127.0.0.1:4647',
    '',
    'http://',
    'http://h:1 /x',
  ])('%j is refused', (raw) => {
    expect(advertiseOrigin(raw)).toBeUndefined();
  });
});

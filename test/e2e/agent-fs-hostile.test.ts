import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import request from 'supertest';
import { ALLOC_ID, put, startAgent, type Agent } from '../unit/agent/fs/harness';

/**
 * Hostile paths: every one is refused with the right status and no response ever carries
 * content from outside the alloc dir, from secrets/private, or the host's absolute path.
 */
let a: Agent;
const LEAKS = ['HOST SECRET', 'TOPSECRET', 'PRIVATE-CONTENT'];

beforeAll(async () => {
  a = await startAgent();
  fs.writeFileSync(path.join(a.root, 'outside-secret.txt'), 'HOST SECRET');
  put(a, 'web/secrets/test_file', 'TOPSECRET');
  put(a, 'web/private/p', 'PRIVATE-CONTENT');
  put(a, 'alloc/logs/web.stdout.0', 'ok log');
  const d = a.alloc.dir;
  fs.symlinkSync(path.join(a.root, 'outside-secret.txt'), path.join(d, 'alloc/data/escape-link'));
  fs.symlinkSync(a.root, path.join(d, 'alloc/data/root-link'));
  fs.symlinkSync('/etc', path.join(d, 'alloc/data/etc-link'));
  fs.symlinkSync('../../..', path.join(d, 'alloc/data/up-link'));
  fs.symlinkSync('../secrets/test_file', path.join(d, 'web/local/into-secrets'));
  fs.symlinkSync('../secrets', path.join(d, 'web/local/secrets-dir'));
  fs.symlinkSync('../../web/secrets', path.join(d, 'alloc/data/secrets-from-alloc'));
  fs.symlinkSync('../private/p', path.join(d, 'web/local/into-private'));
});
afterAll(() => a.close());

/** [path as the client means it, expected cat status]. Sent percent-encoded; Express decodes. */
const TABLE: Array<[string, number]> = [
  // lexical escapes
  ['..', 400],
  ['../', 400],
  ['../..', 400],
  ['/..', 400],
  ['/../', 400],
  ['../outside-secret.txt', 400],
  ['../../outside-secret.txt', 400],
  ['/../../outside-secret.txt', 400],
  ['alloc/../../x', 400],
  ['alloc/../../../etc/passwd', 400],
  ['../../../../../../../../etc/passwd', 400],
  ['./../x', 400],
  ['web/../../x', 400],
  ['web/local/../../../x', 400],
  ['alloc/logs/../../../../outside-secret.txt', 400],
  ['//../../outside-secret.txt', 400],
  ['alloc/./.././../x', 400],
  ['../' + ALLOC_ID + '/alloc/logs/web.stdout.0', 400],
  // NUL bytes
  ['alloc/logs/web.stdout.0\0', 400],
  ['\0', 400],
  ['web/secrets/test_file\0.txt', 400],
  ['..\0/x', 400],
  // symlinks resolving outside
  ['alloc/data/escape-link', 400],
  ['alloc/data/root-link/outside-secret.txt', 400],
  ['alloc/data/etc-link/passwd', 400],
  ['alloc/data/etc-link/hostname', 400],
  ['alloc/data/up-link', 400],
  ['alloc/data/up-link/x/y', 400],
  ['alloc/data/root-link/nope', 400],
  ['/alloc/data/escape-link', 400],
  // secrets / private, also through symlinks and odd spellings
  ['web/secrets/test_file', 403],
  ['/web/secrets/test_file', 403],
  ['web//secrets/test_file', 403],
  ['web/./secrets/test_file', 403],
  ['web/local/../secrets/test_file', 403],
  ['alloc/../web/secrets/test_file', 403],
  ['web/SECRETS/test_file', 403],
  ['web/secrets/', 403],
  ['web/secrets/missing', 403],
  ['web/private/p', 403],
  ['web/local/into-secrets', 403],
  ['web/local/secrets-dir/test_file', 403],
  ['alloc/data/secrets-from-alloc/test_file', 403],
  ['web/local/into-private', 403],
  // literal names that only look hostile: not found (inside the alloc dir)
  ['/etc/passwd', 404],
  ['etc/shadow', 404],
  ['%2e%2e%2fx', 404],
  ['%252e%252e%252f', 404],
  ['....//....//etc/passwd', 404],
  ['.../x', 404],
  ['..foo', 404],
  ['..\\..\\etc\\passwd', 404],
  ['\u2024\u2024/x', 404],
  [' ../x', 404],
  ['alloc/logs/nope', 404],
  ['alloc/data/root-link-nope', 404],
  // directories are not content
  ['/', 400],
  ['alloc', 400],
  ['web/local', 400],
];

const TABLE_DIRS = new Set(['/', 'alloc', 'web/local']);
const enc = (p: string): string => encodeURIComponent(p);

const assertNoLeak = (text: string): void => {
  for (const s of LEAKS) expect(text).not.toContain(s);
  expect(text).not.toContain(a.root);
};

describe('hostile paths', () => {
  it('the table has at least 50 entries', () => expect(TABLE.length).toBeGreaterThanOrEqual(50));

  it.each(TABLE)('cat of %j is a %i and leaks nothing', async (p, status) => {
    const r = await request(a.url).get(`/v1/client/fs/cat/${ALLOC_ID}?path=${enc(p)}`);
    expect(r.status).toBe(status);
    assertNoLeak(r.text);
  });

  it.each(TABLE)('readat and stream of %j are a %i and leak nothing', async (p, status) => {
    const ra = await request(a.url).get(`/v1/client/fs/readat/${ALLOC_ID}?path=${enc(p)}&offset=0`);
    expect(ra.status).toBe(status);
    assertNoLeak(ra.text);
    const st = await request(a.url).get(`/v1/client/fs/stream/${ALLOC_ID}?path=${enc(p)}&follow=false`);
    expect(st.status).toBe(status);
    assertNoLeak(st.text);
  });

  it.each(TABLE.filter(([p, s]) => s === 400 && !TABLE_DIRS.has(p)))(
    'stat and ls of escaping %j are a 400',
    async (p) => {
      const s = await request(a.url).get(`/v1/client/fs/stat/${ALLOC_ID}?path=${enc(p)}`);
      expect(s.status).toBe(400);
      assertNoLeak(s.text);
      const l = await request(a.url).get(`/v1/client/fs/ls/${ALLOC_ID}?path=${enc(p)}`);
      expect(l.status).toBe(400);
      assertNoLeak(l.text);
    },
  );

  it('ls of web/secrets succeeds while cat inside it is refused (§13.89)', async () => {
    const l = await request(a.url).get(`/v1/client/fs/ls/${ALLOC_ID}?path=web/secrets`);
    expect(l.status).toBe(200);
    expect(l.body).toEqual([expect.objectContaining({ Name: 'test_file', Size: 9 })]);
    const c = await request(a.url).get(`/v1/client/fs/cat/${ALLOC_ID}?path=web/secrets/test_file`);
    expect(c.status).toBe(403);
    expect(c.text).toBe('Reading secret file prohibited: web/secrets/test_file');
  });

  it('fast-check: generated paths never leak and lexical escapes are always 400', async () => {
    const seg = fc.constantFrom(
      '..',
      '.',
      '',
      'web',
      'secrets',
      'private',
      'local',
      'alloc',
      'data',
      'logs',
      'escape-link',
      'root-link',
      'up-link',
      'into-secrets',
      'secrets-dir',
      'outside-secret.txt',
      'test_file',
      'p',
      'web.stdout.0',
      '%2e%2e',
      '..%2f',
      '\0',
      '...',
      'etc',
      'passwd',
    );
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(seg, { minLength: 1, maxLength: 7 }), async (lead, segs) => {
        const p = (lead ? '/' : '') + segs.join('/');
        const op = p.length % 2 === 0 ? 'cat' : 'readat';
        const r = await request(a.url).get(`/v1/client/fs/${op}/${ALLOC_ID}?path=${enc(p)}&offset=0`);
        assertNoLeak(r.text);
        expect([200, 400, 403, 404]).toContain(r.status);
        if (climbsOut(p)) expect(r.status).toBe(400);
        if (r.status === 200) expect(r.text).toBe('ok log');
      }),
      { numRuns: 300 },
    );
  });
});

/** Independent oracle: does a `..` climb above the root, or is there a NUL? */
const climbsOut = (p: string): boolean => {
  if (p.includes('\0')) return true;
  let depth = 0;
  for (const s of p.split('/')) {
    if (s === '..') depth--;
    else if (s !== '' && s !== '.') depth++;
    if (depth < 0) return true;
  }
  return false;
};

describe('special files and huge directories', () => {
  it('a Unix socket is 400 "not a regular file" for cat, readat and stream; stat describes it', async () => {
    const net = await import('node:net');
    const sockPath = path.join(a.alloc.dir, 'alloc/data/api.sock');
    const srv = net.createServer().listen(sockPath);
    await new Promise((r) => srv.once('listening', r));
    try {
      for (const op of ['cat', 'readat', 'stream']) {
        const r = await request(a.url).get(
          `/v1/client/fs/${op}/${ALLOC_ID}?path=alloc/data/api.sock&offset=0&limit=10`,
        );
        expect([op, r.status, r.text]).toEqual([op, 400, 'file "alloc/data/api.sock" is not a regular file']);
      }
      const st = await request(a.url).get(`/v1/client/fs/stat/${ALLOC_ID}?path=alloc/data/api.sock`);
      expect(st.status).toBe(200);
      expect(st.body).toMatchObject({ Name: 'api.sock', IsDir: false });
    } finally {
      srv.close();
    }
  });

  it('ls stops at its entry limit with a clear 400, and lists up to it', async () => {
    const { listDir } = await import('../../src/agent/fs/ls');
    for (let i = 0; i < 6; i++) put(a, `alloc/data/many/f${i}`, 'x');
    await expect(listDir(a.alloc, 'alloc/data/many', 5)).rejects.toMatchObject({
      status: 400,
      message: 'directory "alloc/data/many" has more than 5 entries; list a subdirectory instead',
    });
    expect(await listDir(a.alloc, 'alloc/data/many', 6)).toHaveLength(6);
  });
});

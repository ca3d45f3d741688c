import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { ALLOC_ID, makeAlloc, put, startAgent, type Agent } from '../unit/agent/fs/harness';

const XSS = '<script>alert(document.domain);</script>';
const UNKNOWN = '00000000-0000-0000-0000-000000000000';
let a: Agent;
beforeAll(async () => {
  a = await startAgent();
  put(a, 'alloc/logs/web.stdout.0', 'Hello from the other side');
  put(a, 'alloc/data/xss.html', XSS);
  put(a, 'alloc/data/empty', '');
  put(a, 'alloc/data/conf.json', '{"a":1}');
  put(a, 'alloc/data/img.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
  fs.mkdirSync(path.join(a.alloc.dir, 'alloc/data/dir.json'));
  fs.symlinkSync('../logs/web.stdout.0', path.join(a.alloc.dir, 'alloc/data/link'));
});
afterAll(() => a.close());

const get = (p: string) => request(a.url).get(p);
const fsUrl = (op: string, q: string, id = ALLOC_ID) => `/v1/client/fs/${op}/${id}${q ? `?${q}` : ''}`;

describe('ls', () => {
  it('ls without a path lists the alloc dir sorted, first entry a directory (§13.11, §13.34)', async () => {
    const r = await get(fsUrl('ls', ''));
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect((r.body as Array<{ Name: string }>).map((e) => e.Name)).toEqual(['alloc', 'web']);
    expect(r.body[0]).toMatchObject({ IsDir: true, FileMode: expect.stringMatching(/^d/) });
    expect(r.body[0]).not.toHaveProperty('ContentType');
    expect(Object.keys(r.body[0])).toEqual(['FileMode', 'IsDir', 'ModTime', 'Name', 'Size']);
  });
  it('ls reports a symlink as the link itself', async () => {
    const r = await get(fsUrl('ls', 'path=/alloc/data'));
    const link = (r.body as Array<{ Name: string; FileMode: string; IsDir: boolean }>).find(
      (e) => e.Name === 'link',
    );
    expect(link).toMatchObject({ FileMode: 'Lrwxrwxrwx', IsDir: false });
  });
  it('ls shows a FIFO with the Go "p" mode letter', async () => {
    execFileSync('mkfifo', ['-m', '600', path.join(a.alloc.dir, 'alloc/logs/.web.stdout.fifo')]);
    const r = await get(fsUrl('ls', 'path=alloc/logs'));
    expect(r.body).toContainEqual(
      expect.objectContaining({ Name: '.web.stdout.fifo', FileMode: 'prw-------', IsDir: false }),
    );
  });
  it('ls of an empty directory is []', async () => {
    const r = await get(fsUrl('ls', 'path=alloc/tmp'));
    expect(r.text).toBe('[]');
  });
  it('ls ?pretty indents with 4 spaces and a trailing newline; pretty=0 is compact', async () => {
    const p = await get(fsUrl('ls', 'path=alloc/tmp&pretty'));
    expect(p.text).toBe('[]\n');
    const one = await get(fsUrl('ls', 'path=alloc/logs&pretty=1'));
    expect(one.text).toMatch(/^\[\n {4}\{\n {8}"FileMode"/);
    expect(one.text.endsWith('\n')).toBe(true);
    const c = await get(fsUrl('ls', 'path=alloc/logs&pretty=0'));
    expect(c.text.endsWith('\n')).toBe(false);
  });
  it('ls without an alloc id is a 400 (§13.1)', async () => {
    const r = await get('/v1/client/fs/ls/');
    expect([r.status, r.text]).toEqual([400, 'must provide a valid alloc id']);
  });
  it('ls of an unknown allocation is a 404', async () => {
    const r = await get(fsUrl('ls', '', UNKNOWN));
    expect([r.status, r.text]).toEqual([404, `Unknown allocation "${UNKNOWN}"`]);
  });
  it('ls of a missing directory is a 404 naming the relative path', async () => {
    const r = await get(fsUrl('ls', 'path=/nope/dir'));
    expect([r.status, r.text]).toEqual([404, 'open nope/dir: no such file or directory']);
  });
  it('ls of a file is a 400 "not a directory"', async () => {
    const r = await get(fsUrl('ls', 'path=alloc/logs/web.stdout.0'));
    expect([r.status, r.text]).toEqual([400, 'readdirent alloc/logs/web.stdout.0: not a directory']);
  });
  it('ls of .. is a 400 escape (§13.82)', async () => {
    const r = await get(fsUrl('ls', 'path=..'));
    expect([r.status, r.text]).toEqual([400, 'Path escapes the alloc directory']);
  });
});

describe('stat', () => {
  it('stat of alloc/ is a directory (§13.12)', async () => {
    const r = await get(fsUrl('stat', 'path=alloc/'));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ IsDir: true, Name: 'alloc', ContentType: 'application/octet-stream' });
    expect(Object.keys(r.body)).toEqual(['ContentType', 'FileMode', 'IsDir', 'ModTime', 'Name', 'Size']);
  });
  it('stat of / is the alloc dir itself (§13.34)', async () => {
    const r = await get(fsUrl('stat', 'path=/'));
    expect(r.body).toMatchObject({ IsDir: true, Name: ALLOC_ID });
  });
  it('stat of a file sniffs its content type and reports size, mode and a nanosecond ModTime', async () => {
    const r = await get(fsUrl('stat', 'path=alloc/logs/web.stdout.0'));
    expect(r.body).toMatchObject({
      ContentType: 'text/plain; charset=utf-8',
      FileMode: '-rw-r--r--',
      IsDir: false,
      Name: 'web.stdout.0',
      Size: 25,
    });
    expect(r.body.ModTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/);
  });
  it.each([
    ['alloc/data/img.png', 'image/png'],
    ['alloc/data/empty', 'application/octet-stream'],
    ['alloc/data/conf.json', 'application/json'],
    ['alloc/data/dir.json', 'application/json'],
    ['alloc/data/link', 'text/plain; charset=utf-8'],
  ])('stat of %s has ContentType %s', async (p, ct) => {
    const r = await get(fsUrl('stat', `path=${p}`));
    expect(r.body.ContentType).toBe(ct);
  });
  it('stat without a path is a 400 (§13.2)', async () => {
    expect((await get('/v1/client/fs/stat/')).text).toBe('must provide a valid alloc id');
    const r = await get('/v1/client/fs/stat/foo');
    expect([r.status, r.text]).toEqual([400, 'must provide a file name']);
  });
  it('stat of a missing file is a 404 with "no such file or directory"', async () => {
    const r = await get(fsUrl('stat', 'path=alloc/missing'));
    expect([r.status, r.text]).toEqual([404, 'stat alloc/missing: no such file or directory']);
  });
  it('stat of ../foo is a 400 escape (§13.82)', async () => {
    expect((await get(fsUrl('stat', 'path=../foo'))).status).toBe(400);
  });
  it('stat of secrets is allowed', async () => {
    expect((await get(fsUrl('stat', 'path=web/secrets'))).status).toBe(200);
  });
});

describe('cat and readat', () => {
  it('readat with offset=1&limit=3 returns "ell" (§13.13)', async () => {
    const r = await get(fsUrl('readat', 'path=alloc/logs/web.stdout.0&offset=1&limit=3'));
    expect([r.status, r.text]).toEqual([200, 'ell']);
  });
  it('cat returns the whole file (§13.14)', async () => {
    const r = await get(fsUrl('cat', 'path=alloc/logs/web.stdout.0'));
    expect([r.status, r.text]).toEqual([200, 'Hello from the other side']);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
  });
  it.each(['cat', 'readat'])(
    '%s of HTML-looking content is exactly text/plain with the security headers (§13.15)',
    async (op) => {
      const r = await get(fsUrl(op, 'path=alloc/data/xss.html&offset=0&limit=40'));
      expect(r.text).toBe(XSS);
      expect(r.headers['content-type']).toBe('text/plain');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['x-xss-protection']).toBe('1; mode=block');
      expect(r.headers['content-security-policy']).toBe(
        "default-src 'none'; style-src 'unsafe-inline'; sandbox",
      );
    },
  );
  it('cat of binary content has its sniffed type', async () => {
    const r = await get(fsUrl('cat', 'path=alloc/data/img.png')).buffer(true);
    expect(r.headers['content-type']).toBe('image/png');
  });
  it('cat of an empty file is an empty 200 without security headers', async () => {
    const r = await get(fsUrl('cat', 'path=alloc/data/empty'));
    expect([r.status, r.text]).toEqual([200, '']);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.headers['content-security-policy']).toBeUndefined();
  });
  it('readat beyond EOF is an empty 200', async () => {
    const r = await get(fsUrl('readat', 'path=alloc/logs/web.stdout.0&offset=1000'));
    expect([r.status, r.text]).toEqual([200, '']);
  });
  it('readat with a negative limit reads to EOF', async () => {
    expect((await get(fsUrl('readat', 'path=alloc/logs/web.stdout.0&offset=6&limit=-1'))).text).toBe(
      'from the other side',
    );
  });
  it('readat with a negative offset is a 400', async () => {
    const r = await get(fsUrl('readat', 'path=alloc/logs/web.stdout.0&offset=-5'));
    expect([r.status, r.text]).toEqual([
      400,
      "can't seek to offset -5: seek alloc/logs/web.stdout.0: invalid argument",
    ]);
  });
  it('readat without alloc id, path, or offset is a 400 each (§13.3)', async () => {
    expect((await get('/v1/client/fs/readat/')).status).toBe(400);
    expect((await get('/v1/client/fs/readat/foo')).text).toBe('must provide a file name');
    const r = await get('/v1/client/fs/readat/foo?path=/path/to/file');
    expect([r.status, r.text]).toEqual([
      400,
      'error parsing offset: strconv.ParseInt: parsing "": invalid syntax',
    ]);
  });
  it('readat with an offset that does not parse is a 400', async () => {
    expect((await get(fsUrl('readat', 'path=x&offset=abc'))).status).toBe(400);
  });
  it('cat without alloc id or path is a 400 (§13.4)', async () => {
    expect((await get('/v1/client/fs/cat/')).text).toBe('must provide a valid alloc id');
    const r = await get('/v1/client/fs/cat/foo');
    expect([r.status, r.text]).toEqual([400, 'must provide a file name']);
  });
  it('cat of an unknown allocation is a 404', async () => {
    expect((await get(fsUrl('cat', 'path=x', UNKNOWN))).status).toBe(404);
  });
  it('cat of a missing file is a 404, of a directory a 400, of a secret a 403', async () => {
    const m = await get(fsUrl('cat', 'path=alloc/nope'));
    expect([m.status, m.text]).toEqual([404, 'stat alloc/nope: no such file or directory']);
    const d = await get(fsUrl('cat', 'path=/alloc/logs'));
    expect([d.status, d.text]).toEqual([400, 'file "/alloc/logs" is a directory']);
    put(a, 'web/secrets/test_file', 's3cr3t');
    const s = await get(fsUrl('cat', 'path=web/secrets/test_file'));
    expect([s.status, s.text]).toEqual([403, 'Reading secret file prohibited: web/secrets/test_file']);
  });
  it('cat streams a large file intact', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024 + 123);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    put(a, 'alloc/data/big.bin', big);
    const r = await get(fsUrl('cat', 'path=alloc/data/big.bin'))
      .buffer(true)
      .parse((res, cb) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => cb(null, Buffer.concat(parts)));
      });
    expect(Buffer.compare(r.body as Buffer, big)).toBe(0);
  });
});

describe('allocation directory location', () => {
  const OTHER = '22222222-2222-3333-4444-555555555555';
  const GONE = '33333333-2222-3333-4444-555555555555';
  beforeAll(() => {
    // An alloc reached through a symlinked data dir (LocalAlloc.dir not realpath'd).
    const real = makeAlloc(path.join(a.root, 'real-data'), ['web'], OTHER);
    fs.writeFileSync(path.join(real.dir, 'alloc/logs/web.stdout.0'), 'via link');
    fs.symlinkSync(path.join(a.root, 'real-data'), path.join(a.root, 'linked-data'));
    a.addAlloc({ ...real, dir: path.join(a.root, 'linked-data/alloc', OTHER), taskStarted: () => true });
    const gone = makeAlloc(path.join(a.root, 'gone-data'), ['web'], GONE);
    fs.rmSync(gone.dir, { recursive: true });
    a.addAlloc(gone);
  });
  it('an alloc dir reached through a symlinked data dir is served normally', async () => {
    expect((await get(fsUrl('cat', 'path=alloc/logs/web.stdout.0', OTHER))).text).toBe('via link');
    expect((await get(fsUrl('ls', 'path=/', OTHER))).status).toBe(200);
    const l = await get(`/v1/client/fs/logs/${OTHER}?task=web&type=stdout&plain=true`);
    expect(l.text).toBe('via link');
  });
  it.each([
    ['ls', 'path=/'],
    ['stat', 'path=/'],
    ['cat', 'path=alloc/logs/web.stdout.0'],
    ['stream', 'path=alloc/logs/web.stdout.0&follow=false'],
    ['logs', 'task=web&type=stdout'],
  ])('%s of an allocation whose dir was collected is a 404 "not found on client"', async (op, q) => {
    const r = await get(fsUrl(op, q, GONE));
    expect([r.status, r.text]).toEqual([404, `state for allocation ${GONE} not found on client`]);
  });
});

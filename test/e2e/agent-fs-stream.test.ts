import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { activeWatchCount } from '../../src/agent/fs/watch-registry';
import { FrameDecoder, type DecodedFrame } from '../../src/wire';
import {
  ALLOC_ID,
  eventually,
  liveGet,
  openFdCount,
  put,
  sleep,
  startAgent,
  type Agent,
  type Live,
} from '../unit/agent/fs/harness';

const XSS = '<script>alert(document.domain);</script>';
let a: Agent;
beforeAll(async () => {
  a = await startAgent();
  put(a, 'alloc/logs/web.stdout.0', 'Hello from the other side');
  put(a, 'alloc/data/xss', XSS);
});
afterAll(() => a.close());

const url = (q: string) => `${a.url}/v1/client/fs/stream/${ALLOC_ID}?${q}`;
const framesOf = (b: Buffer | string): DecodedFrame[] => new FrameDecoder().push(b);
const dataOf = (l: Live): string => Buffer.concat(framesOf(l.body()).map((f) => f.data)).toString();

describe('/fs/stream non-follow', () => {
  it('offset=4&origin=end returns "side" and completes (§13.16)', async () => {
    const r = await request(a.url).get(
      `/v1/client/fs/stream/${ALLOC_ID}?path=alloc/logs/web.stdout.0&offset=4&origin=end&follow=false`,
    );
    expect(r.status).toBe(200);
    expect(r.text).toBe(
      `{"Data":"${Buffer.from('side').toString('base64')}","File":"alloc/logs/web.stdout.0","Offset":25}`,
    );
  });
  it('a whole small file is exactly one frame, byte for byte (§13.17)', async () => {
    put(a, 'alloc/logs/web.stdout.0', XSS);
    const r = await request(a.url).get(
      `/v1/client/fs/stream/${ALLOC_ID}?path=alloc/logs/web.stdout.0&follow=false`,
    );
    expect(r.text).toBe(
      '{"Data":"PHNjcmlwdD5hbGVydChkb2N1bWVudC5kb21haW4pOzwvc2NyaXB0Pg==","File":"alloc/logs/web.stdout.0","Offset":40}',
    );
    put(a, 'alloc/logs/web.stdout.0', 'Hello from the other side');
  });
  it('File is the path exactly as sent, leading slash kept', async () => {
    const r = await request(a.url).get(
      `/v1/client/fs/stream/${ALLOC_ID}?path=/alloc/logs/web.stdout.0&follow=false`,
    );
    expect(framesOf(r.text)[0]!.file).toBe('/alloc/logs/web.stdout.0');
  });
  it('origin=end&offset=0 without follow is an empty 200 (§13.85)', async () => {
    const r = await request(a.url).get(
      `/v1/client/fs/stream/${ALLOC_ID}?path=alloc/logs/web.stdout.0&origin=end&follow=false`,
    );
    expect([r.status, r.text]).toEqual([200, '']);
  });
  it('a 200 KB file arrives in ≤ 64 KiB frames whose Offsets are the end of their data', async () => {
    const big = Buffer.alloc(200_000, 'z');
    put(a, 'alloc/data/big', big);
    const r = await request(a.url).get(`/v1/client/fs/stream/${ALLOC_ID}?path=alloc/data/big&follow=false`);
    const fr = framesOf(r.text);
    let end = 0;
    for (const f of fr) {
      expect(f.data.length).toBeGreaterThan(0);
      expect(f.data.length).toBeLessThanOrEqual(65536);
      end += f.data.length;
      expect(f.offset).toBe(end);
    }
    expect(end).toBe(200_000);
  });
  it.each([
    ['', 400, 'must provide a valid alloc id'],
    [`${ALLOC_ID}`, 400, 'must provide a file name'],
    [
      `${ALLOC_ID}?path=x&follow=maybe`,
      400,
      'failed to parse follow field to boolean: strconv.ParseBool: parsing "maybe": invalid syntax',
    ],
    [
      `${ALLOC_ID}?path=x&offset=1.5`,
      400,
      'error parsing offset: strconv.ParseInt: parsing "1.5": invalid syntax',
    ],
    [`${ALLOC_ID}?path=x&origin=middle`, 400, 'origin must be start or end'],
    [
      '00000000-0000-0000-0000-000000000000?path=x',
      404,
      'Unknown allocation "00000000-0000-0000-0000-000000000000"',
    ],
    [`${ALLOC_ID}?path=alloc/nope`, 404, 'stat alloc/nope: no such file or directory'],
    [`${ALLOC_ID}?path=alloc/logs`, 400, 'file "alloc/logs" is a directory'],
    [`${ALLOC_ID}?path=../x`, 400, 'Path escapes the alloc directory'],
    [
      `${ALLOC_ID}?path=alloc/logs/web.stdout.0&offset=-3`,
      400,
      "can't seek to offset -3: seek alloc/logs/web.stdout.0: invalid argument",
    ],
  ])('stream %s is a %i', async (tail, status, body) => {
    const r = await request(a.url).get(`/v1/client/fs/stream/${tail}`);
    expect([r.status, r.text]).toEqual([status, body]);
  });
});

describe('/fs/stream follow', () => {
  it('a follow stream returns the tail and stays open (§13.18)', async () => {
    const l = liveGet(url('path=alloc/logs/web.stdout.0&offset=4&origin=end'));
    await eventually(() => dataOf(l) === 'side');
    await sleep(1100);
    expect(l.ended()).toBe(false);
    l.abort();
  });
  it('an idle follow stream sends {} about once per second (§13.87)', async () => {
    const l = liveGet(url('path=alloc/logs/web.stdout.0&origin=end'));
    await eventually(() => framesOf(l.body()).filter((f) => f.heartbeat).length >= 2, 5000);
    expect(l.body().toString()).toMatch(/^(\{\})+$/);
    l.abort();
  });
  it('appended data arrives promptly and in order (§13.50)', async () => {
    put(a, 'alloc/data/f50', 'hel');
    const l = liveGet(url('path=alloc/data/f50'));
    await eventually(() => dataOf(l) === 'hel');
    fs.appendFileSync(path.join(a.alloc.dir, 'alloc/data/f50'), 'loworld');
    await eventually(() => dataOf(l) === 'helloworld', 2000);
    l.abort();
  });
  it('a truncation sends one "file truncated" event and re-reads from 0 (§13.51)', async () => {
    const abs = put(a, 'alloc/data/f51', 'hel');
    const l = liveGet(url('path=alloc/data/f51'));
    await eventually(() => dataOf(l) === 'hel');
    fs.truncateSync(abs, 0);
    fs.appendFileSync(abs, 'lo');
    await eventually(() => framesOf(l.body()).some((f) => f.fileEvent === 'file truncated'));
    await eventually(() => dataOf(l) === 'hello');
    fs.appendFileSync(abs, 'world');
    await eventually(() => dataOf(l) === 'helloworld');
    expect(framesOf(l.body()).filter((f) => f.fileEvent === 'file truncated')).toHaveLength(1);
    l.abort();
  });
  it('a deletion sends one "file deleted" event after all data and ends the stream (§13.52)', async () => {
    const abs = put(a, 'alloc/data/f52', 'abc');
    const l = liveGet(url('path=alloc/data/f52'));
    await eventually(() => dataOf(l) === 'abc');
    fs.appendFileSync(abs, 'def');
    fs.unlinkSync(abs);
    await l.done;
    expect(l.ended()).toBe(true);
    expect(dataOf(l)).toBe('abcdef');
    const events = framesOf(l.body()).filter((f) => f.fileEvent);
    expect(events).toEqual([
      expect.objectContaining({ fileEvent: 'file deleted', file: 'alloc/data/f52', offset: 6 }),
    ]);
  });
  it('a replaced file (new inode at the path) counts as deleted', async () => {
    const abs = put(a, 'alloc/data/f53', 'old');
    const l = liveGet(url('path=alloc/data/f53'));
    await eventually(() => dataOf(l) === 'old');
    fs.writeFileSync(`${abs}.new`, 'new content');
    fs.renameSync(`${abs}.new`, abs);
    await l.done;
    expect(framesOf(l.body()).some((f) => f.fileEvent === 'file deleted')).toBe(true);
    expect(dataOf(l)).toBe('old');
  });
});

describe('resource hygiene', () => {
  it('aborting 20 cats of a large file mid-transfer releases every fd and handler', async () => {
    put(a, 'alloc/data/huge', Buffer.alloc(32 * 1024 * 1024, 'h'));
    const fdsBefore = openFdCount();
    const lives = Array.from({ length: 20 }, () =>
      liveGet(`${a.url}/v1/client/fs/cat/${ALLOC_ID}?path=alloc/data/huge`),
    );
    // Set-up, not the property under test: on a loaded machine 20 concurrent 32 MiB reads can
    // take a while to all start, so the first bytes get generous slack.
    await eventually(() => lives.every((l) => l.body().length > 0), 30000);
    for (const l of lives) l.abort();
    await eventually(() => a.inFlight() === 0, 10000);
    await eventually(() => openFdCount() <= fdsBefore + 2, 5000);
  }, 60000);
  it('200 follow streams on one file share one watcher; aborting them releases watchers and fds', async () => {
    put(a, 'alloc/data/shared', 'x');
    await sleep(50);
    const fdsBefore = openFdCount();
    const watchesBefore = activeWatchCount();
    const lives = Array.from({ length: 200 }, () => liveGet(url('path=alloc/data/shared')));
    await eventually(() => lives.every((l) => dataOf(l) === 'x'), 15000);
    expect(activeWatchCount()).toBe(watchesBefore + 1);
    expect(a.inFlight()).toBe(200);
    fs.appendFileSync(path.join(a.alloc.dir, 'alloc/data/shared'), 'y');
    await eventually(() => lives.every((l) => dataOf(l) === 'xy'), 15000);
    for (const l of lives) l.abort();
    await eventually(() => a.inFlight() === 0, 10000);
    expect(activeWatchCount()).toBe(watchesBefore);
    await eventually(() => openFdCount() <= fdsBefore + 2, 5000);
  });
});

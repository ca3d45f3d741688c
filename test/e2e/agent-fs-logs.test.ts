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

let a: Agent;
beforeEach(async () => {
  a = await startAgent(['web', 'idle']);
});
afterEach(() => a.close());

const logsPath = (q: string) => `/v1/client/fs/logs/${ALLOC_ID}?${q}`;
const framesOf = (b: Buffer | string): DecodedFrame[] => new FrameDecoder().push(b);
const dataOf = (l: Live): string => Buffer.concat(framesOf(l.body()).map((f) => f.data)).toString();
const logFile = (n: number, type = 'stdout') => `alloc/logs/web.${type}.${n}`;

describe('/fs/logs basics', () => {
  beforeEach(() => put(a, logFile(0), 'Hello from the other side'));

  it('offset=4&origin=end&plain=true is exactly "side" (§13.19)', async () => {
    const r = await request(a.url).get(logsPath('type=stdout&task=web&offset=4&origin=end&plain=true'));
    expect([r.status, r.text]).toEqual([200, 'side']);
    expect(r.headers['content-type']).toBe('text/plain');
  });
  it('plain logs of HTML-looking output are exactly text/plain (§13.20)', async () => {
    put(a, logFile(0), '<script>alert(document.domain);</script>');
    const r = await request(a.url).get(logsPath('type=stdout&task=web&plain=true'));
    expect(r.text).toBe('<script>alert(document.domain);</script>');
    expect(r.headers['content-type']).toBe('text/plain');
  });
  it('a plain follow returns the tail and stays open (§13.21)', async () => {
    const l = liveGet(
      `${a.url}${logsPath('type=stdout&task=web&offset=4&origin=end&plain=true&follow=true')}`,
    );
    await eventually(() => l.body().toString() === 'side');
    await sleep(1100);
    expect(l.ended()).toBe(false);
    expect(l.body().toString()).toBe('side');
    l.abort();
  });
  it('JSON logs are application/json frames named alloc/logs/<task>.<type>.<N>', async () => {
    const r = await request(a.url)
      .get(logsPath('type=stdout&task=web'))
      .buffer(true)
      .parse((res, cb) => {
        let s = '';
        res.on('data', (c: Buffer) => (s += c.toString()));
        res.on('end', () => cb(null, s));
      });
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.body).toBe(
      `{"Data":"${Buffer.from('Hello from the other side').toString('base64')}","File":"alloc/logs/web.stdout.0","Offset":25}`,
    );
  });
  it('origin=end&offset=0 starts at the end of the newest file (wire policy, §13.85 differs)', async () => {
    const r = await request(a.url).get(logsPath('type=stdout&task=web&origin=end&plain=true'));
    expect([r.status, r.text]).toEqual([200, '']);
  });
  it.each([
    ['', 400, 'must provide a valid alloc id'],
    ['x', 400, 'must provide task name'],
    ['x?task=foo', 400, 'must provide log type (stdout/stderr)'],
    [
      'x?task=foo&type=stdout&follow=nope',
      400,
      'failed to parse follow field to boolean: strconv.ParseBool: parsing "nope": invalid syntax',
    ],
    [
      'x?task=foo&type=stdout&plain=nope',
      400,
      'failed to parse plain field to boolean: strconv.ParseBool: parsing "nope": invalid syntax',
    ],
    ['x?task=foo&type=stdin', 400, 'must provide log type (stdout/stderr)'],
    [
      'x?task=foo&type=stdout&offset=z',
      400,
      'error parsing offset: strconv.ParseInt: parsing "z": invalid syntax',
    ],
    ['x?task=foo&type=stdout&origin=z', 400, 'origin must be start or end'],
    [
      '00000000-0000-0000-0000-000000000000?task=web&type=stdout&offset=0&origin=end&plain=true',
      404,
      'Unknown allocation "00000000-0000-0000-0000-000000000000"',
    ],
    [`${ALLOC_ID}?task=nope&type=stdout`, 400, 'unknown task name "nope"'],
    [`${ALLOC_ID}?task=idle&type=stdout`, 404, 'log entry for task "idle" and log type "stdout" not found'],
    [`${ALLOC_ID}?task=web&type=stderr`, 404, 'log entry for task "web" and log type "stderr" not found'],
  ])('logs %s is a %i (§13.6–10)', async (tail, status, body) => {
    const r = await request(a.url).get(`/v1/client/fs/logs/${tail}`);
    expect([r.status, r.text]).toEqual([status, body]);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
  });
  it('logs of a task that has not started is a 404 (§13.42)', async () => {
    a.alloc.started.delete('web');
    const r = await request(a.url).get(logsPath('task=web&type=stdout'));
    expect([r.status, r.text]).toEqual([404, 'task "web" not started yet. No logs available']);
  });
  it('logs without an alloc/logs directory at all is a 404', async () => {
    fs.rmSync(path.join(a.alloc.dir, 'alloc/logs'), { recursive: true });
    expect((await request(a.url).get(logsPath('task=web&type=stdout'))).status).toBe(404);
  });
});

describe('/fs/logs across rotated files', () => {
  beforeEach(() => ['0', '1', '2'].forEach((c, i) => put(a, logFile(i), c)));

  it('non-follow from start reads 012 and ends (§13.53)', async () => {
    const r = await request(a.url).get(logsPath('task=web&type=stdout&plain=true'));
    expect(r.text).toBe('012');
  });
  it('origin=end with an offset larger than everything starts at the oldest file (§13.86)', async () => {
    fs.unlinkSync(path.join(a.alloc.dir, logFile(0)));
    const r = await request(a.url).get(logsPath('task=web&type=stdout&plain=true&origin=end&offset=1000'));
    expect(r.text).toBe('12');
  });
  it('follow reads 012, then appends and an index gap (§13.54)', async () => {
    const l = liveGet(`${a.url}${logsPath('task=web&type=stdout&follow=true')}`);
    await eventually(() => dataOf(l) === '012');
    fs.appendFileSync(path.join(a.alloc.dir, logFile(2)), '3');
    put(a, logFile(13), '45');
    await eventually(() => dataOf(l) === '012345');
    expect(
      framesOf(l.body())
        .filter((f) => !f.heartbeat)
        .map((f) => f.file),
    ).toEqual([
      'alloc/logs/web.stdout.0',
      'alloc/logs/web.stdout.1',
      'alloc/logs/web.stdout.2',
      'alloc/logs/web.stdout.2',
      'alloc/logs/web.stdout.13',
    ]);
    l.abort();
  });
  it('the alloc being collected mid-follow sends "file deleted" then the listing error text', async () => {
    const l = liveGet(`${a.url}${logsPath('task=web&type=stdout&follow=true&origin=end&offset=1')}`);
    await eventually(() => dataOf(l) === '2');
    fs.rmSync(path.join(a.alloc.dir, 'alloc/logs'), { recursive: true });
    await l.done;
    const d = new FrameDecoder();
    const fr = d.push(l.body());
    expect(fr.some((f) => f.fileEvent === 'file deleted')).toBe(true);
    expect(d.trailer()).toBe('failed to list entries: open alloc/logs: no such file or directory');
  });
});

/**
 * A writer like Nomad's rotator: appends lines to <task>.stdout.<N>, moves to N+1 at the size
 * limit, and deletes the oldest files beyond maxFiles.
 */
const rotatingWriter = async (
  a_: Agent,
  total: number,
  maxSize: number,
  maxFiles: number,
): Promise<string> => {
  const dir = path.join(a_.alloc.dir, 'alloc/logs');
  let idx = 0;
  let size = 0;
  let written = '';
  let line = 0;
  while (written.length < total) {
    const text = `line ${line++} ${'x'.repeat(line % 97)}\n`;
    if (size + text.length > maxSize) {
      idx++;
      size = 0;
      const oldest = idx - maxFiles;
      if (oldest >= 0) fs.rmSync(path.join(dir, `web.stdout.${oldest}`), { force: true });
    }
    fs.appendFileSync(path.join(dir, `web.stdout.${idx}`), text);
    size += text.length;
    written += text;
    if (line % 50 === 0) await sleep(2);
  }
  return written;
};

describe('follow across a rotating writer', () => {
  it.each([
    ['JSON', false],
    ['plain', true],
  ])('a %s follower gets every byte exactly once, in order', async (_name, plain) => {
    put(a, logFile(0), '');
    const l = liveGet(`${a.url}${logsPath(`task=web&type=stdout&follow=true&plain=${plain}`)}`);
    await eventually(() => l.status() === 200);
    const written = await rotatingWriter(a, 1_500_000, 40_000, 3);
    const got = () => (plain ? l.body().toString() : dataOf(l));
    await eventually(() => got().length >= written.length, 20000);
    await sleep(200);
    expect(got().length).toBe(written.length);
    expect(got() === written).toBe(true);
    if (!plain) {
      const idxs = framesOf(l.body())
        .filter((f) => f.file)
        .map((f) => Number(f.file.split('.').pop()));
      expect([...idxs].sort((x, y) => x - y)).toEqual(idxs);
    }
    l.abort();
  });
  it('aborting 200 log followers releases every watcher and fd', async () => {
    put(a, logFile(0), 'a');
    await sleep(50);
    const fdsBefore = openFdCount();
    const watchesBefore = activeWatchCount();
    const lives = Array.from({ length: 200 }, () =>
      liveGet(`${a.url}${logsPath('task=web&type=stdout&follow=true&plain=true')}`),
    );
    await eventually(() => lives.every((l) => l.body().toString() === 'a'), 15000);
    // one watcher for the file, one for the directory, shared by all 200
    expect(activeWatchCount()).toBe(watchesBefore + 2);
    for (const l of lives) l.abort();
    await eventually(() => a.inFlight() === 0, 10000);
    expect(activeWatchCount()).toBe(watchesBefore);
    await eventually(() => openFdCount() <= fdsBefore + 2, 5000);
  });
});

describe('follow when the newest file is deleted', () => {
  it('does not go back to an older file; continues with the next index when it appears', async () => {
    put(a, logFile(0), 'a');
    put(a, logFile(1), 'b');
    const l = liveGet(`${a.url}${logsPath('task=web&type=stdout&follow=true&plain=true')}`);
    await eventually(() => l.body().toString() === 'ab');
    fs.unlinkSync(path.join(a.alloc.dir, logFile(1)));
    await sleep(600);
    expect(l.body().toString()).toBe('ab');
    put(a, logFile(2), 'c');
    await eventually(() => l.body().toString() === 'abc');
    l.abort();
  });
});

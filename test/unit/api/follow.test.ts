import { FleetgateClient, followLogs, GiveUpError } from './client-helpers';
import { FakeLogs } from './fake-logs';

const ALLOC = '11111111-2222-3333-4444-555555555555';
const fastRetry = { giveUpMs: 5000, initialBackoffMs: 20, maxBackoffMs: 100, notFoundGraceMs: 1000 };

describe('followLogs resumes after drops without losing or repeating a byte', () => {
  let fake: FakeLogs;
  beforeEach(async () => {
    fake = await new FakeLogs().start();
  });
  afterEach(() => fake.server.close());

  it('across dropped connections, rotations while disconnected and a 503 spell', async () => {
    const client = new FleetgateClient({ address: fake.server.url, direct: 'never' });
    const total = 400;
    const expected = Array.from({ length: total }, (_, i) => `${i + 1}\n`).join('');
    let n = 0;
    const writer = setInterval(() => {
      for (let k = 0; k < 3 && n < total; k++) fake.append(`${++n}\n`, 60, 50);
    }, 2);
    fake.dropAfterBytes = 45;
    const ac = new AbortController();
    // A failing run must end instead of following forever.
    const guard = setTimeout(() => ac.abort(), 20_000);
    let got = '';
    let reconnects = 0;
    // The 503 spell starts once the stream is up: the first connection's errors are final, and
    // on a loaded machine 150 ms after the start can still be before it.
    let spell: NodeJS.Timeout | undefined;
    try {
      for await (const item of followLogs(
        client,
        { allocId: ALLOC, task: 'web', type: 'stdout', origin: 'start', offset: 0 },
        { signal: ac.signal, onReconnecting: () => reconnects++ },
        fastRetry,
      )) {
        if (item.kind !== 'data') continue;
        spell ??= setTimeout(() => {
          fake.unavailableUntil = Date.now() + 300;
          fake.dropAll();
        }, 150);
        got += item.data.toString();
        if (!expected.startsWith(got)) break;
        if (got.length >= expected.length) break;
        if (n >= total && reconnects > 10) fake.dropAfterBytes = 0;
      }
    } finally {
      // A failure must not leave the writer appending to the next test's server.
      clearInterval(writer);
      clearTimeout(spell);
      clearTimeout(guard);
    }
    expect(got).toBe(expected);
    expect(fake.files.size).toBeGreaterThan(5);
    expect(reconnects).toBeGreaterThan(3);
  });

  it('a tail start is an exact position: a drop before and after the first bytes repeats nothing', async () => {
    const client = new FleetgateClient({ address: fake.server.url, direct: 'never' });
    fake.append('aaaa\n', 5, 10);
    fake.append('bbbbb\n', 5, 10);
    fake.dropAfterBytes = 3;
    let got = '';
    const ac = new AbortController();
    const guard = setTimeout(() => ac.abort(), 10_000);
    // Appended once the tail start is fixed (after the first bytes), however slow the machine.
    let appended = false;
    for await (const item of followLogs(
      client,
      { allocId: ALLOC, task: 'web', type: 'stdout', origin: 'end', offset: 8 },
      { signal: ac.signal },
      fastRetry,
    )) {
      if (item.kind === 'data') got += item.data.toString();
      if (got.length > 0 && !appended) {
        appended = true;
        fake.append('cc\n', 1000, 10);
      }
      if (got.length >= 11) break;
    }
    clearTimeout(guard);
    expect(got).toBe('a\nbbbbb\ncc\n');
  });

  it('gives up with a clear error after the configured time', async () => {
    const client = new FleetgateClient({ address: fake.server.url, direct: 'never' });
    fake.append('a\n', 100, 10);
    const gen = followLogs(
      client,
      { allocId: ALLOC, task: 'web', type: 'stdout', origin: 'start', offset: 0 },
      {},
      { ...fastRetry, giveUpMs: 400 },
    );
    const first = await gen.next();
    expect(first.value).toMatchObject({ kind: 'data' });
    fake.unavailableUntil = Date.now() + 60_000;
    fake.dropAll();
    const t0 = Date.now();
    const err = await gen.next().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GiveUpError);
    expect((err as Error).message).toMatch(/gave up reconnecting after \d+s: .*503/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('the first connection failing is final (no retry loop for a wrong request)', async () => {
    const client = new FleetgateClient({ address: fake.server.url, direct: 'never' });
    fake.unavailableUntil = Date.now() + 60_000;
    const err = await followLogs(
      client,
      { allocId: ALLOC, task: 'web', type: 'stdout', origin: 'start', offset: 0 },
      {},
      fastRetry,
    )
      .next()
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/503/);
  });
});

import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { FleetgateClient, followLogs, type StreamItem } from '../../src/api';
import { eventually, sleep } from '../helpers/eventually';
import { ALLOC_ID, put, startAgent, type Agent } from '../unit/agent/fs/harness';

/**
 * The exact end of `-f` (and of each source of a job-wide stream): once the allocation is final,
 * the follower asks the agent where its log ends and finishes at that byte, never earlier (a slow
 * stream or a node that is down is not "drained") and without waiting for a quiet spell.
 * Real agent handlers over real HTTP and real log files.
 */

const retry = { giveUpMs: 20_000, initialBackoffMs: 50, maxBackoffMs: 200, notFoundGraceMs: 1000 };
const lines = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${from + i}\n`).join('');

/** Runs a follower to its end (or a 20 s guard) and says what it delivered and whether it ended by itself. */
const run = (agent: Agent, final: Promise<void>, q: { origin: 'start' | 'end'; offset: number }) => {
  const client = new FleetgateClient({ address: agent.url, direct: 'never' });
  const guard = new AbortController();
  const timer = setTimeout(() => guard.abort(), 20_000);
  const got: Buffer[] = [];
  let heartbeats = 0;
  let ended = false;
  const done = (async () => {
    const items: AsyncGenerator<StreamItem> = followLogs(
      client,
      { allocId: ALLOC_ID, task: 'web', type: 'stdout', ...q },
      { signal: guard.signal, final, heartbeats: true },
      retry,
    );
    for await (const item of items) {
      if (item.kind === 'data') got.push(item.data);
      if (item.kind === 'heartbeat') heartbeats++;
    }
    ended = !guard.signal.aborted;
    clearTimeout(timer);
  })();
  return {
    text: () => Buffer.concat(got).toString(),
    ended: () => ended,
    /** A heartbeat came: the agent has picked where the stream starts. */
    open: () => eventually(() => heartbeats > 0, 10_000, 'first heartbeat'),
    done,
  };
};

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('follow ends exactly at the last byte of a final log', () => {
  let agent: Agent;
  beforeEach(async () => {
    agent = await startAgent(['web']);
  });
  afterEach(() => agent.close());

  it('across rotations: everything written before the end, then the follower finishes by itself', async () => {
    put(agent, 'alloc/logs/web.stdout.0', lines(1, 100));
    put(agent, 'alloc/logs/web.stdout.1', lines(101, 200));
    const final = deferred();
    const f = run(agent, final.promise, { origin: 'start', offset: 0 });
    await eventually(() => f.text().endsWith('200\n'), 10_000, 'backlog');
    // Written while following, then the task ends: its last bytes arrive, then the stream ends.
    fs.appendFileSync(path.join(agent.alloc.dir, 'alloc/logs/web.stdout.1'), lines(201, 250));
    put(agent, 'alloc/logs/web.stdout.2', lines(251, 300));
    final.resolve();
    await f.done;
    expect(f.ended()).toBe(true);
    expect(f.text()).toBe(lines(1, 300));
  });

  it('does not end while the agent is unreachable; ends once it is back and the rest is delivered', async () => {
    put(agent, 'alloc/logs/web.stdout.0', lines(1, 50));
    const final = deferred();
    const f = run(agent, final.promise, { origin: 'start', offset: 0 });
    await eventually(() => f.text().endsWith('50\n'), 10_000, 'first lines');
    const { port } = agent.server.address() as AddressInfo;
    agent.server.closeAllConnections();
    await new Promise<void>((r) => agent.server.close(() => r()));
    fs.appendFileSync(path.join(agent.alloc.dir, 'alloc/logs/web.stdout.0'), lines(51, 80));
    final.resolve();
    // The old rule ("final and quiet for 1.5 s") ended here with lines 51-80 never delivered.
    await sleep(2500);
    expect(f.ended()).toBe(false);
    await new Promise<void>((r) => agent.server.listen(port, '127.0.0.1', r));
    await f.done;
    expect(f.ended()).toBe(true);
    expect(f.text()).toBe(lines(1, 80));
  });

  it('an empty log, and a follow that starts at the very end, end as soon as the allocation is final', async () => {
    put(agent, 'alloc/logs/web.stdout.0', '');
    const empty = run(agent, Promise.resolve(), { origin: 'start', offset: 0 });
    await empty.done;
    expect([empty.ended(), empty.text()]).toEqual([true, '']);

    put(agent, 'alloc/logs/web.stdout.0', lines(1, 10));
    const atEnd = run(agent, Promise.resolve(), { origin: 'end', offset: 0 });
    await atEnd.done;
    expect([atEnd.ended(), atEnd.text()]).toEqual([true, '']);
  });

  it('a tail (origin=end) delivers its window and the rest, then ends', async () => {
    put(agent, 'alloc/logs/web.stdout.0', lines(1, 10));
    put(agent, 'alloc/logs/web.stdout.1', '');
    const final = deferred();
    const f = run(agent, final.promise, { origin: 'end', offset: 3 });
    await eventually(() => f.text() === '10\n', 10_000, 'tail window');
    final.resolve();
    await f.done;
    expect([f.ended(), f.text()]).toEqual([true, '10\n']);
  });

  it('a start offset past the end of a final log: nothing to deliver, so it ends like any drained follow', async () => {
    put(agent, 'alloc/logs/web.stdout.0', lines(1, 10));
    put(agent, 'alloc/logs/web.stdout.1', lines(11, 20));
    const already = run(agent, Promise.resolve(), { origin: 'start', offset: 10_000 });
    await already.done;
    expect([already.ended(), already.text()]).toEqual([true, '']);

    // Final only once the stream is open.
    const final = deferred();
    const later = run(agent, final.promise, { origin: 'start', offset: 10_000 });
    await later.open();
    final.resolve();
    await later.done;
    expect([later.ended(), later.text()]).toEqual([true, '']);
  });

  it('a start offset past the end of a running log starts at its end: what is written next arrives, then it ends', async () => {
    put(agent, 'alloc/logs/web.stdout.0', lines(1, 10));
    const final = deferred();
    const f = run(agent, final.promise, { origin: 'start', offset: 10_000 });
    await f.open();
    fs.appendFileSync(path.join(agent.alloc.dir, 'alloc/logs/web.stdout.0'), lines(11, 20));
    await eventually(() => f.text() === lines(11, 20), 10_000, 'appended lines');
    final.resolve();
    await f.done;
    expect([f.ended(), f.text()]).toEqual([true, lines(11, 20)]);
  });

  it('a drop before the first byte resumes where the agent started, not at the requested offset', async () => {
    put(agent, 'alloc/logs/web.stdout.0', lines(1, 10)); // 21 bytes: offset 40 is past the end
    const final = deferred();
    const f = run(agent, final.promise, { origin: 'start', offset: 40 });
    await f.open();
    const { port } = agent.server.address() as AddressInfo;
    agent.server.closeAllConnections();
    await new Promise<void>((r) => agent.server.close(() => r()));
    // Written while disconnected, past the requested offset: a resume at offset 40 would cut it.
    fs.appendFileSync(path.join(agent.alloc.dir, 'alloc/logs/web.stdout.0'), lines(11, 30));
    final.resolve();
    await new Promise<void>((r) => agent.server.listen(port, '127.0.0.1', r));
    await f.done;
    expect([f.ended(), f.text()]).toEqual([true, lines(11, 30)]);
  });
});

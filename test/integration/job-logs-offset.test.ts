import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { joinTokenFile } from '../helpers/join';
import { startFleetgate, type FleetgateProcess } from '../helpers/fleetgate-process';
import { freePort } from '../helpers/ports';
import { startRedis, type RedisServer } from '../helpers/redis';
import { seedAlloc, type SeededAlloc } from '../helpers/seed-alloc';
import { tmpDir } from '../helpers/tmp';
import { agentArgs, waitFor } from './cli-stack';

/**
 * A job-wide follow whose `origin=start&offset` lies past the end of the log: the agent starts at
 * the log's end, so nothing is delivered, and the source must still end once its allocation has
 * ended, like any other drained source. Real gateway, agent and Redis processes.
 */

const lines = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag} ${i + 1}\n`).join('');

/** Follows a URL to its end (or `guardMs`), saying whether the server ended it and what it sent. */
const follow = (url: string, guardMs: number): Promise<{ ended: boolean; status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      const chunks: Buffer[] = [];
      const guard = setTimeout(() => req.destroy(), guardMs);
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('close', () => {
        clearTimeout(guard);
        resolve({
          ended: res.complete,
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.on('error', reject);
  });

describe('job-wide follow with a start offset past the end of the log', () => {
  let redis: RedisServer;
  const procs: FleetgateProcess[] = [];
  const cleanups: Array<() => void> = [];
  let gw = '';
  let dataDir = '';

  const registered = (id: string, status: string) =>
    waitFor(`alloc ${id} ${status}`, async () => {
      const res = await fetch(`${gw}/v1/allocation/${id}`);
      const body = (await res.json().catch(() => ({}))) as { ClientStatus?: string };
      return res.status === 200 && body.ClientStatus === status;
    });

  const allocWithLog = async (job: string): Promise<SeededAlloc> => {
    const alloc = seedAlloc(dataDir, { job, task: 'web' });
    fs.writeFileSync(path.join(alloc.logsDir, 'web.stdout.0'), lines('a', 20));
    fs.writeFileSync(path.join(alloc.logsDir, 'web.stdout.1'), lines('b', 20));
    await registered(alloc.id, 'running');
    return alloc;
  };

  beforeAll(async () => {
    redis = await startRedis();
    const gateway = await startFleetgate([
      'gateway',
      '--http-addr',
      '127.0.0.1:0',
      '--redis',
      redis.url,
      '--job-logs-grace-ms',
      '300',
    ]);
    procs.push(gateway);
    gw = gateway.url;
    const join = tmpDir();
    cleanups.push(join.cleanup);
    const data = tmpDir();
    cleanups.push(data.cleanup);
    dataDir = data.dir;
    const args = agentArgs(await freePort(), dataDir, 'offset-node', gw, await joinTokenFile(gw, join.dir));
    procs.push(await startFleetgate(args, {}, 40_000));
  }, 60_000);

  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await redis?.stop();
    cleanups.forEach((c) => c());
  });

  it.each([['plain=true'], ['plain=false']])(
    'a running allocation that ends: the stream ends too (%s)',
    async (mode) => {
      const job = `past-end-${mode.endsWith('true') ? 'plain' : 'framed'}`;
      const alloc = await allocWithLog(job);
      const run = follow(`${gw}/v1/job/${job}/logs?follow=true&origin=start&offset=1000000&${mode}`, 20_000);
      // Not a timing assumption: ending before or after the source connects must both end it.
      await new Promise((r) => setTimeout(r, 500));
      alloc.setStatus('complete');
      const got = await run;
      expect(got.status).toBe(200);
      expect(got.ended).toBe(true);
      // Nothing of the log lies past the offset: no line of it is sent.
      expect(got.body).not.toMatch(/[ab] \d+/);
    },
    30_000,
  );

  it('an allocation that had already ended: the stream ends with nothing to send', async () => {
    const alloc = await allocWithLog('past-end-done');
    alloc.setStatus('complete');
    await registered(alloc.id, 'complete');
    const got = await follow(
      `${gw}/v1/job/past-end-done/logs?follow=true&origin=start&offset=1000000&plain=true`,
      20_000,
    );
    expect([got.status, got.ended]).toEqual([200, true]);
    expect(got.body).not.toMatch(/[ab] \d+/);
  }, 30_000);
});

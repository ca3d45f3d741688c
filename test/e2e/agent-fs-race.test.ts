import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { ALLOC_ID, put, startAgent, type Agent } from '../unit/agent/fs/harness';

/**
 * The check-then-open race (Nomad PR #28468): another process flips a symlink between a file
 * inside and one outside the alloc dir while we read through it. The realpath check alone can
 * pass on the inside target and then open the outside one; the re-check of the opened fd's
 * path must catch that every time.
 */
let a: Agent;
let swapper: ChildProcess;
beforeAll(async () => {
  a = await startAgent();
  fs.writeFileSync(path.join(a.root, 'outside.txt'), 'HOST SECRET');
  put(a, 'alloc/data/ok.txt', 'inside');
  put(a, 'web/secrets/s', 'TOPSECRET');
  const d = path.join(a.alloc.dir, 'alloc/data');
  const script = `
    const fs = require('fs');
    const d = ${JSON.stringify(d)};
    const targets = ['ok.txt', ${JSON.stringify(path.join(a.root, 'outside.txt'))}, '../../web/secrets/s'];
    let i = 0;
    for (;;) {
      const tmp = d + '/swap.tmp';
      try { fs.unlinkSync(tmp); } catch {}
      fs.symlinkSync(targets[i++ % targets.length], tmp);
      fs.renameSync(tmp, d + '/swap');
    }`;
  swapper = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 200));
});
afterAll(async () => {
  swapper.kill();
  await a.close();
});

it('a symlink flipped between inside and outside/secrets never leaks through cat', async () => {
  const statuses = new Set<number>();
  for (let i = 0; i < 400; i++) {
    const r = await request(a.url).get(`/v1/client/fs/cat/${ALLOC_ID}?path=alloc/data/swap`);
    expect(r.text).not.toContain('HOST SECRET');
    expect(r.text).not.toContain('TOPSECRET');
    if (r.status === 200) expect(r.text).toBe('inside');
    statuses.add(r.status);
  }
  expect([...statuses].every((s) => [200, 400, 403, 404].includes(s))).toBe(true);
});

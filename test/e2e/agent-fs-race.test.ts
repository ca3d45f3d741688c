import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { ALLOC_ID, put, startAgent, type Agent } from '../unit/agent/fs/harness';
import { sleep } from '../helpers/eventually';
import { stopChild } from '../helpers/processes';

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
  await sleep(200);
});
afterAll(async () => {
  await stopChild(swapper);
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

/**
 * The same race for ls and stat, which used to check the name and then list/stat the name
 * again: a directory symlink flipped between an inside directory and a host directory (or
 * another allocation's secrets), and a file symlink flipped between an inside file and a host
 * file of a telltale size.
 */
describe('ls and stat under a flipping symlink', () => {
  let flipper: ChildProcess;
  const HOST_SIZE = 12345;
  beforeAll(async () => {
    const hostDir = path.join(a.root, 'hostdir');
    fs.mkdirSync(hostDir, { recursive: true });
    fs.writeFileSync(path.join(hostDir, 'HOST-ONLY-ENTRY'), 'x');
    const otherSecrets = path.join(a.root, 'alloc', 'other-alloc', 'web', 'secrets');
    fs.mkdirSync(otherSecrets, { recursive: true });
    fs.writeFileSync(path.join(otherSecrets, 'OTHER-ALLOC-SECRET'), 'x');
    fs.writeFileSync(path.join(a.root, 'hostfile'), Buffer.alloc(HOST_SIZE, 'h'));
    put(a, 'alloc/data/indir/inside-entry', 'in');
    put(a, 'alloc/data/infile', 'inside');
    const d = path.join(a.alloc.dir, 'alloc/data');
    const script = `
      const fs = require('fs');
      const d = ${JSON.stringify(d)};
      const pairs = [
        ['dswap', ['indir', ${JSON.stringify(hostDir)}, ${JSON.stringify(otherSecrets)}]],
        ['fswap', ['infile', ${JSON.stringify(path.join(a.root, 'hostfile'))}]],
      ];
      let i = 0;
      for (;;) {
        for (const [name, targets] of pairs) {
          const tmp = d + '/' + name + '.tmp';
          try { fs.unlinkSync(tmp); } catch {}
          fs.symlinkSync(targets[i % targets.length], tmp);
          fs.renameSync(tmp, d + '/' + name);
        }
        i++;
      }`;
    flipper = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    await sleep(200);
  });
  afterAll(() => stopChild(flipper));

  it('ls never lists the host directory or the secrets of another allocation through the link', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 250; i++) {
      const r = await request(a.url).get(`/v1/client/fs/ls/${ALLOC_ID}?path=alloc/data/dswap`);
      if (r.status === 200) {
        const names = (r.body as Array<{ Name: string }>).map((e) => e.Name);
        expect(names).toEqual(['inside-entry']);
      }
      seen.add(String(r.status));
    }
    expect([...seen].every((s) => ['200', '400', '404'].includes(s))).toBe(true);
  });

  it('stat never reports the host file', async () => {
    for (let i = 0; i < 250; i++) {
      const r = await request(a.url).get(`/v1/client/fs/stat/${ALLOC_ID}?path=alloc/data/fswap`);
      if (r.status === 200) expect((r.body as { Size: number }).Size).toBe('inside'.length);
      else expect([400, 404]).toContain(r.status);
    }
  });
});

/**
 * The same race aimed at an open with effects: a symlink flipped between an inside file and a
 * FIFO on the host whose writer is blocked until some reader opens it. Opening the FIFO, even to
 * refuse it a moment later, would release that writer; the agent must never open it.
 */
describe('cat under a symlink flipping to a host FIFO', () => {
  let flipper: ChildProcess;
  let writer: ChildProcess;
  let writerOpened = false;
  beforeAll(async () => {
    const fifo = path.join(a.root, 'host.fifo');
    execFileSync('mkfifo', [fifo]);
    writer = spawn(process.execPath, [
      '-e',
      `require('fs').openSync(${JSON.stringify(fifo)}, 'w'); process.stdout.write('opened')`,
    ]);
    writer.stdout!.on('data', () => (writerOpened = true));
    put(a, 'alloc/data/plain', 'inside');
    const d = path.join(a.alloc.dir, 'alloc/data');
    const script = `
      const fs = require('fs');
      const d = ${JSON.stringify(d)};
      const targets = ['plain', ${JSON.stringify(fifo)}];
      let i = 0;
      for (;;) {
        try { fs.unlinkSync(d + '/pswap.tmp'); } catch {}
        fs.symlinkSync(targets[i++ % 2], d + '/pswap.tmp');
        fs.renameSync(d + '/pswap.tmp', d + '/pswap');
      }`;
    flipper = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    await sleep(200);
  });
  afterAll(async () => {
    await stopChild(flipper);
    await stopChild(writer);
  });

  it('never opens the FIFO: its blocked writer stays blocked', async () => {
    for (let i = 0; i < 400; i++) {
      const r = await request(a.url).get(`/v1/client/fs/cat/${ALLOC_ID}?path=alloc/data/pswap`);
      if (r.status === 200) expect(r.text).toBe('inside');
      else expect([400, 403, 404]).toContain(r.status);
    }
    await sleep(100);
    expect(writerOpened).toBe(false);
  });
});

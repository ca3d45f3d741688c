import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { CLI, startFleetgate, type FleetgateProcess } from '../helpers/fleetgate-process';
import { joinTokenFile } from '../helpers/join';
import { freePort } from '../helpers/ports';
import { startRedis, type RedisServer } from '../helpers/redis';
import { tmpDir } from '../helpers/tmp';
import { agentArgs, httpStatus, seedAlloc, waitFor, type SeededAlloc } from './cli-stack';

const sha = (b: Buffer): string => crypto.createHash('sha256').update(b).digest('hex');

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * `alloc fs` of a large file copies through the CLI's bulk path (a reused read buffer, its own
 * HTTP parsing): the bytes must be the file's, over chunked (fs/cat) and content-length
 * (fs/readat, `-c`) answers, direct and through the gateway, to a pipe and to a file; an error
 * status reads as before; an agent that dies mid-body is a clear error, not a hang.
 */
describe('alloc fs: the bulk download path against a real agent and gateway', () => {
  let redis: RedisServer;
  let gateway: FleetgateProcess;
  let agent: FleetgateProcess;
  let seeded: SeededAlloc;
  let big: Buffer;
  let t: ReturnType<typeof tmpDir>;
  const BIG = 'alloc/data/big.bin';
  const TAIL = 3 * 1024 * 1024 + 7;

  const run = (args: string[], stdoutFile?: string): Promise<Run> =>
    new Promise((resolve) => {
      const fd = stdoutFile === undefined ? undefined : fs.openSync(stdoutFile, 'w');
      const p = spawn(process.execPath, [CLI, ...args], {
        env: { ...process.env, FLEETGATE_ADDR: gateway.url, FLEETGATE_TOKEN: '', NOMAD_TOKEN: '' },
        stdio: ['ignore', fd ?? 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      let err = '';
      p.stdout?.on('data', (d: Buffer) => out.push(d));
      p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      p.on('close', (code) => {
        if (fd !== undefined) fs.closeSync(fd);
        resolve({ code, stdout: Buffer.concat(out), stderr: err });
      });
    });

  beforeAll(async () => {
    t = tmpDir();
    redis = await startRedis();
    seeded = seedAlloc(t.dir, 'counter');
    // Several MiB of random bytes: many reads, several chunks of the agent's chunked answer.
    big = crypto.randomBytes(24 * 1024 * 1024 + 12345);
    fs.writeFileSync(path.join(seeded.allocDir, BIG), big);
    gateway = await startFleetgate(['gateway', '--http-addr', '127.0.0.1:0', '--redis', redis.url]);
    const join = await joinTokenFile(gateway.url, path.join(t.dir, 'join'));
    agent = await startFleetgate(agentArgs(await freePort(), t.dir, 'dl-node', gateway.url, join));
    await waitFor(
      'alloc registered',
      async () => (await httpStatus(`${gateway.url}/v1/allocation/${seeded.id}`)) === 200,
    );
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop('SIGKILL');
    await agent?.stop('SIGKILL');
    await redis?.stop();
    t?.cleanup();
  });

  it('the agent answers cat chunked and a short readat with a content-length (both framings are covered)', async () => {
    const head = (p: string) =>
      new Promise<http.IncomingHttpHeaders>((resolve, reject) =>
        http
          .get(`${agent.url}${p}`, (res) => {
            res.destroy();
            resolve(res.headers);
          })
          .on('error', reject),
      );
    const q = encodeURIComponent(BIG);
    expect((await head(`/v1/client/fs/cat/${seeded.id}?path=${q}`))['transfer-encoding']).toBe('chunked');
    // A remainder the agent reads in one go (up to 4 MiB) is sent with its length.
    expect(
      (await head(`/v1/client/fs/readat/${seeded.id}?path=${q}&offset=${big.length - TAIL}`))[
        'content-length'
      ],
    ).toBe(String(TAIL));
  });

  it('direct to the node: the same bytes to a pipe and to a file', async () => {
    const piped = await run(['alloc', 'fs', '--direct', 'always', seeded.id, BIG]);
    expect(piped.stderr).toBe('');
    expect(piped.code).toBe(0);
    expect(piped.stdout.length).toBe(big.length);
    expect(sha(piped.stdout)).toBe(sha(big));

    const file = path.join(t.dir, 'out.bin');
    const toFile = await run(['alloc', 'fs', '--direct', 'always', seeded.id, BIG], file);
    expect(toFile.code).toBe(0);
    expect(sha(fs.readFileSync(file))).toBe(sha(big));
  });

  it('through the gateway: the same bytes', async () => {
    const r = await run(['alloc', 'fs', '-v', '--direct', 'never', seeded.id, BIG]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/via gateway/);
    expect(sha(r.stdout)).toBe(sha(big));
  });

  it('-c N: the last N bytes (a content-length answer), direct and through the gateway', async () => {
    const n = TAIL;
    for (const direct of ['always', 'never']) {
      const r = await run(['alloc', 'fs', '--direct', direct, '-c', String(n), seeded.id, BIG]);
      expect(r.code).toBe(0);
      expect(sha(r.stdout)).toBe(sha(big.subarray(big.length - n)));
    }
  });

  it('an error status from the agent after a good stat reads as before: message, status, exit 1', async () => {
    // A socket stats as a file, but the agent refuses to read it (400).
    const sockPath = path.join(seeded.allocDir, 'alloc/data/sock');
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(sockPath, r));
    try {
      for (const [direct, from] of [
        ['always', 'node agent'],
        ['never', 'gateway'],
      ]) {
        const r = await run(['alloc', 'fs', '--direct', direct!, seeded.id, 'alloc/data/sock']);
        expect(r.code).toBe(1);
        expect(r.stdout.length).toBe(0);
        expect(r.stderr).toBe(
          `fleetgate: file "alloc/data/sock" is not a regular file (400 from the ${from})\n`,
        );
      }
    } finally {
      srv.close();
    }
  });

  // Last: it kills the agent.
  it('the agent dies mid-body: the CLI says the output is incomplete and exits 1, without hanging', async () => {
    const huge = path.join(seeded.allocDir, 'alloc/data/huge.bin');
    // Larger than every socket and pipe buffer on the way, so the agent is still sending when killed.
    const block = crypto.randomBytes(1024 * 1024);
    const fd = fs.openSync(huge, 'w');
    for (let i = 0; i < 96; i++) fs.writeSync(fd, block);
    fs.closeSync(fd);

    const p = spawn(
      process.execPath,
      [CLI, 'alloc', 'fs', '--direct', 'always', seeded.id, 'alloc/data/huge.bin'],
      {
        env: { ...process.env, FLEETGATE_ADDR: gateway.url, FLEETGATE_TOKEN: '', NOMAD_TOKEN: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let err = '';
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => p.on('close', (code) => r(code)));
    // Read the first bytes, then stop reading: the CLI, and behind it the agent, are held back.
    const first = await new Promise<Buffer>((r) => p.stdout!.once('data', r));
    p.stdout!.pause();
    let got = first.length;
    await new Promise((r) => setTimeout(r, 300));
    await agent.stop('SIGKILL');
    p.stdout!.on('data', (d: Buffer) => (got += d.length));
    p.stdout!.resume();
    expect(await exited).toBe(1);
    expect(got).toBeGreaterThan(0);
    expect(got).toBeLessThan(96 * 1024 * 1024);
    expect(err).toMatch(
      new RegExp(
        `^fleetgate: the download from ${agent.url.replace(/\./g, '\\.')} stopped after ${got} bytes \\((the connection closed early|read ECONNRESET)\\): the output is incomplete; run the command again\n$`,
      ),
    );
  }, 30_000);
});

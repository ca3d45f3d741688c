import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { CLI, startFleetgate, type FleetgateProcess } from '../helpers/fleetgate-process';
import { tmpDir } from '../helpers/tmp';
import { eventually } from '../helpers/eventually';

/**
 * `fleetgate dev` as a user meets it: start the real process, read what it prints, run every
 * printed curl line with curl, and check the answers — without ACLs and with `--acl`.
 */

interface Banner {
  url: string;
  nodeId: string;
  allocId: string;
  curls: string[];
  token?: string;
}

/** The dev banner is one write, but may arrive in pieces: wait for the last curl line. */
const readBanner = async (p: FleetgateProcess): Promise<Banner> => {
  await eventually(() => /curl .*follow=true.*\n/.test(p.output()), 10_000, 'the banner of fleetgate dev');
  const out = p.output();
  const field = (re: RegExp) => re.exec(out)?.[1] ?? '';
  const token = field(/^export NOMAD_TOKEN=(\S+)$/m);
  return {
    url: field(/listening on (https?:\/\/\S+)/),
    nodeId: field(/^node id\s+([0-9a-f-]{36})$/m),
    allocId: field(/^alloc id\s+([0-9a-f-]{36})$/m),
    curls: out.split('\n').filter((l) => l.startsWith('curl ')),
    ...(token ? { token } : {}),
  };
};

/** Splits a printed curl line into argv as sh would (it only uses '...' and "..." quoting). */
const shellWords = (line: string): string[] =>
  [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');

interface CurlResult {
  status: number;
  body: string;
}

/**
 * Runs a printed line with curl, adding only `-sS`, a status trailer and `-N`: curl's stdout into a
 * pipe is block-buffered (a terminal gets lines), and a follow ended by the timeout would lose it.
 */
const runCurl = (
  line: string,
  timeoutMs = 10_000,
  drop: (w: string[]) => string[] = (w) => w,
): Promise<CurlResult> => {
  const [cmd, ...args] = drop(shellWords(line));
  expect(cmd).toBe('curl');
  return new Promise((resolve) => {
    execFile('curl', ['-sSN', '-w', '\n%{http_code}', ...args], { timeout: timeoutMs }, (_err, stdout) => {
      // A follow killed by the timeout has no status trailer: its body is all there is.
      const m = /\n(\d{3})$/.exec(stdout);
      resolve(m ? { status: Number(m[1]), body: stdout.slice(0, m.index) } : { status: 0, body: stdout });
    });
  });
};

/** The same line without its `-H "X-Nomad-Token: ..."`. */
const withoutToken = (w: string[]): string[] =>
  w.filter((x, i) => x !== '-H' && !(w[i - 1] === '-H' && x.startsWith('X-Nomad-Token')));

const startDev = async (
  extra: string[],
): Promise<{ p: FleetgateProcess; banner: Banner; cleanup: () => void }> => {
  const { dir, cleanup } = tmpDir('fleetgate-dev-test-');
  const p = await startFleetgate(['dev', '--http-addr', '127.0.0.1:0', '--data-dir', dir, ...extra]);
  return { p, banner: await readBanner(p), cleanup };
};

/** SIGTERM stops the demo task too (SIGKILL would orphan it); SIGKILL only if that hangs. */
const stopDev = async (p: FleetgateProcess | undefined): Promise<void> => {
  if (!p) return;
  const t = setTimeout(() => p.proc.kill('SIGKILL'), 5000);
  await p.stop('SIGTERM');
  clearTimeout(t);
};

const stdoutLines = (body: string) => body.split('\n').filter((l) => l.startsWith('hello from stdout'));

/**
 * Asserts what each printed line answers: stats, the log directory (through the gateway, and
 * with --tls straight from the agent too), and a follow.
 */
const checkPrintedLines = async (banner: Banner): Promise<void> => {
  const stats = banner.curls.find((l) => l.includes('/stats'))!;
  const follow = banner.curls.find((l) => l.includes('follow=true'))!;
  const lists = banner.curls.filter((l) => l.includes('/fs/ls/'));
  expect(lists.length).toBeGreaterThanOrEqual(1);
  expect(stats).toContain(`/v1/client/allocation/${banner.allocId}/stats`);
  const s = await runCurl(stats);
  expect(s.status).toBe(200);
  expect(JSON.parse(s.body)).toHaveProperty('ResourceUsage');

  for (const ls of lists) {
    const l = await runCurl(ls);
    expect(l.status).toBe(200);
    const names = (JSON.parse(l.body) as Array<{ Name: string }>).map((f) => f.Name);
    expect(names).toEqual(expect.arrayContaining(['web.stdout.0', 'web.stderr.0']));
  }

  // Lines already written (the same line without follow), then a 3 s follow: it must bring at
  // least two more (one a second).
  const before = await runCurl(follow.replace('follow=true&', ''));
  expect(before.status).toBe(200);
  const already = stdoutLines(before.body).length;
  const f = await runCurl(follow, 3000);
  expect(f.status).toBe(0); // still streaming when cut off
  const got = stdoutLines(f.body);
  expect(got.length).toBeGreaterThanOrEqual(already + 2);
  expect(got[0]).toBe('hello from stdout 1');
};

describe('fleetgate dev: the printed curl lines work as printed', () => {
  let dev: { p: FleetgateProcess; banner: Banner; cleanup: () => void } | undefined;
  beforeAll(async () => {
    dev = await startDev([]);
  }, 20_000);
  afterAll(async () => {
    await stopDev(dev?.p);
    dev?.cleanup();
  });

  it('prints the node ID, the allocation ID and three curl lines', async () => {
    const b = dev!.banner;
    expect(b.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(b.curls).toHaveLength(3);
    expect(b.token).toBeUndefined();
    expect((await fetch(`${b.url}/v1/client/metadata?node_id=${b.nodeId}`)).status).toBe(200);
    expect((await fetch(`${b.url}/v1/allocation/${b.allocId}`)).status).toBe(200);
  });

  it('prints the web UI address, which serves the UI', async () => {
    const b = dev!.banner;
    expect(dev!.p.output()).toContain(`web UI   ${b.url}/ui/\n`);
    const page = await fetch(`${b.url}/ui/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script src="/ui/app.js"');
  });

  it('stats, ls and a 3 s follow answer as expected', async () => {
    await checkPrintedLines(dev!.banner);
  }, 20_000);

  it('POST /v1/client/metadata through the local forwarder: answered, applied, connection intact', async () => {
    const b = dev!.banner;
    // Over 1 KiB, so curl sends Expect: 100-continue (its default), then a second request on the
    // same connection (--next) shows the socket was not destroyed by the replay.
    const body = JSON.stringify({ NodeID: b.nodeId, Meta: { rack: 'r7', note: 'x'.repeat(1500) } });
    const out = await new Promise<string>((resolve) => {
      execFile(
        'curl',
        [
          '-sS',
          '-w',
          '\n%{http_code} %{num_connects}\n',
          '-X',
          'POST',
          '--data-binary',
          body,
          `${b.url}/v1/client/metadata`,
          '--next',
          '-sS',
          '-w',
          '\n%{http_code} %{num_connects}\n',
          `${b.url}/v1/client/metadata?node_id=${b.nodeId}`,
        ],
        { timeout: 10_000 },
        (_e, stdout, stderr) => resolve(stdout + stderr),
      );
    });
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[0]!)).toMatchObject({ Dynamic: { rack: 'r7' } });
    expect(lines[1]).toBe('200 1');
    expect(JSON.parse(lines[2]!)).toMatchObject({ Dynamic: { rack: 'r7' } });
    // 0 new connections: the second request reused the first one's socket.
    expect(lines[3]).toBe('200 0');
  }, 20_000);
});

describe('fleetgate dev --acl: bootstrapped, the printed token works and no token is refused', () => {
  let dev: { p: FleetgateProcess; banner: Banner; cleanup: () => void } | undefined;
  beforeAll(async () => {
    dev = await startDev(['--acl']);
  }, 20_000);
  afterAll(async () => {
    await stopDev(dev?.p);
    dev?.cleanup();
  });

  it('prints a management token, and every curl line carries it', async () => {
    const b = dev!.banner;
    expect(b.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    for (const line of b.curls) expect(line).toContain(`-H "X-Nomad-Token: ${b.token}"`);
    expect(dev!.p.output()).toContain(`sign in to the web UI at ${b.url}/ui/sign-in`);
    const self = await fetch(`${b.url}/v1/acl/token/self`, { headers: { 'X-Nomad-Token': b.token! } });
    expect(await self.json()).toMatchObject({ Type: 'management' });
    // Already bootstrapped by dev itself.
    expect((await fetch(`${b.url}/v1/acl/bootstrap`, { method: 'POST' })).status).toBe(400);
  });

  it('each printed line without its token is 403 Permission denied', async () => {
    for (const line of dev!.banner.curls) {
      expect(await runCurl(line, 3000, withoutToken)).toEqual({ status: 403, body: 'Permission denied' });
    }
  });

  it('with the printed token: stats, ls and a 3 s follow answer as expected', async () => {
    await checkPrintedLines(dev!.banner);
  }, 20_000);
});

/** The same line without `--cert FILE --key FILE` (the CA stays). */
const withoutClientCert = (w: string[]): string[] =>
  w.filter((x, i) => !['--cert', '--key'].includes(x) && !['--cert', '--key'].includes(w[i - 1]!));

/** The same line without `--cacert FILE`. */
const withoutCa = (w: string[]): string[] => w.filter((x, i) => x !== '--cacert' && w[i - 1] !== '--cacert');

/** `export A=x B=y` lines of the banner, as the environment a shell would get from pasting them. */
const exported = (out: string): Record<string, string> =>
  Object.fromEntries(
    out
      .split('\n')
      .filter((l) => l.startsWith('export '))
      .flatMap((l) => shellWords(l.slice('export '.length)))
      .map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]),
  );

describe('fleetgate dev --tls --acl: HTTPS, mutual TLS at the agent, lines that work when pasted', () => {
  let dev: { p: FleetgateProcess; banner: Banner; cleanup: () => void } | undefined;
  beforeAll(async () => {
    dev = await startDev(['--tls', '--acl']);
  }, 30_000);
  afterAll(async () => {
    await stopDev(dev?.p);
    dev?.cleanup();
  });

  it('serves HTTPS and prints curl lines with the CA and the cli certificate, and the NOMAD_* exports', () => {
    const b = dev!.banner;
    expect(b.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(b.curls).toHaveLength(4);
    for (const line of b.curls)
      expect(line).toMatch(/^curl --cacert \S+-agent-ca\.pem --cert \S+ --key \S+ -H/);
    const env = exported(dev!.p.output());
    expect(env).toMatchObject({ FLEETGATE_ADDR: b.url, NOMAD_ADDR: b.url });
    for (const k of ['NOMAD_CACERT', 'NOMAD_CLIENT_CERT', 'NOMAD_CLIENT_KEY'])
      expect(fs.existsSync(env[k]!)).toBe(true);
  });

  it('with the printed files: stats, ls via the gateway and straight from the agent, a 3 s follow', async () => {
    await checkPrintedLines(dev!.banner);
  }, 30_000);

  it('without a client certificate the agent refuses the handshake, the gateway still serves', async () => {
    const agentLine = dev!.banner.curls.find((l) => !l.includes(`'${dev!.banner.url}/`))!;
    expect(agentLine).toBeDefined();
    expect((await runCurl(agentLine, 5000, withoutClientCert)).status).toBe(0);
    for (const line of dev!.banner.curls.filter((l) => l !== agentLine && !l.includes('follow=true')))
      expect((await runCurl(line, 5000, withoutClientCert)).status).toBe(200);
    // Without the CA, curl does not trust the gateway either.
    expect((await runCurl(dev!.banner.curls[0]!, 5000, withoutCa)).status).toBe(0);
  }, 30_000);

  it('the exported NOMAD_* variables take the fleetgate CLI straight to the agent', async () => {
    const b = dev!.banner;
    const env = { ...process.env, ...exported(dev!.p.output()) };
    const out = await new Promise<string>((resolve) =>
      execFile(
        process.execPath,
        [CLI, 'alloc', 'fs', '--direct', 'always', b.allocId, 'alloc/logs'],
        { env, timeout: 15_000 },
        (_e, stdout, stderr) => resolve(stdout + stderr),
      ),
    );
    expect(out).toMatch(/web\.stdout\.0/);
  }, 30_000);
});

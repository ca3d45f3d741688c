import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tmpDir } from '../helpers/tmp';
import { httpStatus, runCli, sleep, spawnCli, waitFor, type LiveCli } from './cli-stack';

/**
 * `fleetgate cluster` (the compose demo as local processes): start it, run the commands its
 * banner suggests through the CLI, check their output, and check Ctrl-C/SIGTERM stops it all.
 */
/** The banner's `export A=x B=y` lines, as the environment pasting them gives a shell. */
const exported = (out: string): Record<string, string> =>
  Object.fromEntries(
    [...out.matchAll(/^ {2}export (.+)$/gm)]
      .flatMap((m) => m[1]!.split(' '))
      .map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]),
  );

/** Runs a script as pasted into bash; stdout alone (curl's progress meter goes to stderr). */
const bash = (script: string): Promise<{ code: number; out: string }> =>
  new Promise((resolve) =>
    execFile('bash', ['-c', script], { timeout: 30_000 }, (err, stdout) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout }),
    ),
  );

// Once as it always ran, once with --tls: Redis over TLS, HTTPS at the gateway, mutual TLS at
// the agents; every CLI step below then runs with the NOMAD_* variables the banner exports.
describe.each([
  { mode: 'plain', flags: [] as string[] },
  { mode: 'tls', flags: ['--tls'] },
])('fleetgate cluster ($mode): the demo, end to end through the CLI', ({ mode, flags }) => {
  const tls = mode === 'tls';
  let cluster: LiveCli;
  let addr = '';
  let mgmt = '';
  let readOnly = '';
  let allocs: string[] = [];
  let env: Record<string, string> = {};
  const { dir, cleanup } = tmpDir();
  const as = (token: string, ...args: string[]) =>
    runCli(args, { ...env, FLEETGATE_ADDR: addr, FLEETGATE_TOKEN: token, NOMAD_TOKEN: '' });

  beforeAll(async () => {
    cluster = spawnCli(['cluster', '--free-ports', '--dir', path.join(dir, 'c'), ...flags]);
    try {
      await waitFor(
        'cluster ready',
        () => {
          if (cluster.proc.exitCode !== null)
            throw new Error(`fleetgate cluster exited ${cluster.proc.exitCode}`);
          return cluster.stdout().includes('Ctrl-C stops everything');
        },
        45000,
      );
    } catch (e) {
      // Say why: the cluster's own output and every child's log.
      const logsDir = path.join(dir, 'c');
      const logs = fs.existsSync(logsDir)
        ? fs
            .readdirSync(logsDir)
            .filter((n) => n.endsWith('.log'))
            .map((n) => `--- ${n}\n${fs.readFileSync(path.join(logsDir, n), 'utf8').slice(-2000)}`)
        : [];
      throw new Error(
        `${(e as Error).message}\n--- stdout\n${cluster.stdout()}\n--- stderr\n${cluster.stderr()}\n${logs.join('\n')}`,
      );
    }
    const out = cluster.stdout();
    addr = /export FLEETGATE_ADDR=(\S+)/.exec(out)![1]!;
    mgmt = /^management token: (\S+)$/m.exec(out)![1]!;
    readOnly = /^read-only token \(policy logs-reader\): (\S+)$/m.exec(out)![1]!;
    allocs = [...out.matchAll(/npx fleetgate alloc logs -f ([0-9a-f]{8})$/gm)].map((m) => m[1]!);
    env = exported(out);
  }, 90_000);

  afterAll(async () => {
    if (cluster.proc.exitCode === null) cluster.proc.kill('SIGKILL');
    cleanup();
  });

  it('prints the addresses, both tokens and one ready-to-paste follow command per allocation', () => {
    expect(addr).toMatch(tls ? /^https:\/\/127\.0\.0\.1:\d+$/ : /^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Object.keys(env).sort()).toEqual(
      tls
        ? ['FLEETGATE_ADDR', 'FLEETGATE_TOKEN', 'NOMAD_CACERT', 'NOMAD_CLIENT_CERT', 'NOMAD_CLIENT_KEY']
        : ['FLEETGATE_ADDR', 'FLEETGATE_TOKEN'],
    );
    if (tls) expect(cluster.stdout()).toMatch(/^ {2}redis {6}rediss:\/\/127\.0\.0\.1:\d+$/m);
    expect(mgmt.split('.')).toHaveLength(3);
    expect(readOnly.split('.')).toHaveLength(3);
    expect(cluster.stdout()).toContain(`web UI     ${addr}/ui/   (sign in at ${addr}/ui/sign-in`);
    expect(allocs).toHaveLength(3);
  });

  it('node status shows three ready nodes in two datacenters', async () => {
    const r = await as(mgmt, 'node', 'status');
    expect(r.code).toBe(0);
    for (const n of ['node-1', 'node-2', 'node-3'])
      expect(r.stdout).toMatch(new RegExp(`${n}\\s+dc[12]\\s+127\\.0\\.0\\.1:\\d+\\s+ready`));
  });

  it('alloc logs of each demo allocation show its numbered lines; -stderr shows warnings', async () => {
    const jobs = ['node-1 web', 'node-2 api', 'node-3 worker'];
    for (const [i, a] of allocs.entries()) {
      const r = await as(mgmt, 'alloc', 'logs', '-n', '2', a);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^${jobs[i]} line \\d+\\n${jobs[i]} line \\d+\\n$`));
    }
    await waitFor(
      'a warning',
      async () => (await as(mgmt, 'alloc', 'logs', '-stderr', allocs[0]!)).stdout.includes('warning 5'),
      10000,
    );
    expect((await as(mgmt, 'alloc', 'logs', '-stderr', '-tail', '-n', '1', allocs[0]!)).stdout).toMatch(
      /^node-1 web warning \d+\n$/,
    );
  });

  it('alloc fs lists the log directory', async () => {
    const r = await as(mgmt, 'alloc', 'fs', allocs[1]!, 'alloc/logs');
    expect(r.stdout).toMatch(/app\.stdout\.0\n/);
    expect(r.stdout).toMatch(/app\.stderr\.0\n/);
  });

  it('alloc logs -f -v streams new lines, direct to the node', async () => {
    const f = spawnCli(['alloc', 'logs', '-f', '-v', allocs[2]!], {
      ...env,
      FLEETGATE_ADDR: addr,
      FLEETGATE_TOKEN: mgmt,
    });
    await waitFor('streamed lines', () => (f.stdout().match(/line/g) ?? []).length >= 3, 10000);
    const before = f.stdout().length;
    await waitFor('new lines', () => f.stdout().length > before, 5000);
    f.proc.kill('SIGINT');
    await f.exited;
    expect(f.stderr()).toMatch(/direct: node node-3/);
  });

  it('the printed curl lines work when pasted (gateway, and straight to a node)', async () => {
    const lines = [...cluster.stdout().matchAll(/^ {2}((?:export|curl) .+)$/gm)].map((m) => m[1]!);
    const curls = lines.filter((l) => l.startsWith('curl '));
    expect(curls).toHaveLength(3);
    if (tls) for (const c of curls) expect(c).toMatch(/^curl --cacert \S+ --cert \S+ --key \S+ -H /);
    const { code, out } = await bash(
      ['set -e', ...lines.map((l) => (l.startsWith('curl') ? `${l}; echo` : l))].join('\n'),
    );
    expect(code).toBe(0);
    const [nodes, viaGateway, direct] = out.trim().split('\n');
    expect((JSON.parse(nodes!) as Array<{ Name: string }>).map((n) => n.Name).sort()).toEqual([
      'node-1',
      'node-2',
      'node-3',
    ]);
    const names = (json: string) => (JSON.parse(json) as Array<{ Name: string }>).map((f) => f.Name);
    expect(names(viaGateway!)).toEqual(['app.stderr.0', 'app.stdout.0']);
    expect(names(direct!)).toEqual(names(viaGateway!));
    if (!tls) return;
    // Mutual TLS: without the cli certificate the agent refuses the handshake; the gateway serves.
    const noCert = (l: string) => l.replace(/ --cert \S+ --key \S+/, '');
    expect((await bash(`${noCert(curls[2]!)} -sS`)).code).not.toBe(0);
    expect((await bash(`${noCert(curls[1]!)} -sSf`)).code).toBe(0);
  });

  it('the read-only token reads logs but cannot write node metadata; no token reads nothing', async () => {
    expect((await as(readOnly, 'alloc', 'logs', '-n', '1', allocs[0]!)).code).toBe(0);
    const denied = await as(readOnly, 'node', 'meta', 'apply', '-node-id', 'node-1', 'team=demo');
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(
      /Permission denied \(403 from the gateway\)\nuse a token whose policy allows this/,
    );
    const anon = await as('', 'alloc', 'logs', allocs[0]!);
    expect(anon.code).toBe(1);
    expect((await as(mgmt, 'node', 'meta', 'apply', '-node-id', 'node-1', 'team=demo')).code).toBe(0);
  });

  it('acl policy apply, token create (human and -json), token revoke', async () => {
    const policyFile = path.join(dir, 'p.json');
    fs.writeFileSync(
      policyFile,
      JSON.stringify({ namespace: { default: { capabilities: ['read-logs', 'read-job'] } } }),
    );
    const apply = await as(
      mgmt,
      'acl',
      'policy',
      'apply',
      '-description',
      'logs only',
      'logs-only',
      policyFile,
    );
    expect(apply.code).toBe(0);
    expect(apply.stdout).toBe('Successfully wrote "logs-only" ACL policy!\n');
    const human = await as(
      mgmt,
      'acl',
      'token',
      'create',
      '-name',
      'ci',
      '-type',
      'client',
      '-policy',
      'logs-only',
      '-ttl',
      '1h',
    );
    expect(human.stdout).toMatch(
      /Accessor ID\s+= [0-9a-f-]{36}\nSecret ID\s+= \S+\nName\s+= ci\nType\s+= client\nPolicies\s+= logs-only/,
    );
    const t = JSON.parse(
      (await as(mgmt, 'acl', 'token', 'create', '-json', '-type=client', '-policy', 'logs-only', '-ttl=30m'))
        .stdout,
    ) as { AccessorID: string; SecretID: string };
    expect((await as(t.SecretID, 'alloc', 'logs', '-n', '1', allocs[0]!)).code).toBe(0);
    const revoke = await as(mgmt, 'acl', 'token', 'revoke', t.AccessorID);
    expect(revoke.stdout).toBe(`Token ${t.AccessorID} successfully revoked\n`);
    await sleep(1100);
    expect((await as(t.SecretID, 'alloc', 'logs', '-n', '1', allocs[0]!)).code).toBe(1);
    expect((await as(mgmt, 'acl', 'token', 'create', '-type', 'client')).code).toBe(2);
    expect((await as(mgmt, 'acl', 'policy', 'apply', 'x', path.join(dir, 'missing.json'))).code).toBe(2);
  });

  it('SIGTERM stops every process it started', async () => {
    cluster.proc.kill('SIGTERM');
    expect(await cluster.exited).toBe(0);
    expect(cluster.stdout()).toContain('cluster stopped');
    // Plain HTTP to the (former) TLS port too: a 400 while anything still listens, 0 once stopped.
    expect(await httpStatus(`${addr.replace('https://', 'http://')}/v1/agent/health`)).toBe(0);
  });
});

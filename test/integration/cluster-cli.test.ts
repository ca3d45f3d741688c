import fs from 'node:fs';
import path from 'node:path';
import { tmpDir } from '../helpers/tmp';
import { httpStatus, runCli, sleep, spawnCli, waitFor, type LiveCli } from './cli-stack';

/**
 * `fleetgate cluster` (the compose demo as local processes): start it, run the commands its
 * banner suggests through the CLI, check their output, and check Ctrl-C/SIGTERM stops it all.
 */
describe('fleetgate cluster: the demo, end to end through the CLI', () => {
  let cluster: LiveCli;
  let addr = '';
  let mgmt = '';
  let readOnly = '';
  let allocs: string[] = [];
  const { dir, cleanup } = tmpDir();
  const as = (token: string, ...args: string[]) =>
    runCli(args, { FLEETGATE_ADDR: addr, FLEETGATE_TOKEN: token, NOMAD_TOKEN: '' });

  beforeAll(async () => {
    cluster = spawnCli(['cluster', '--free-ports', '--dir', path.join(dir, 'c')]);
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
  }, 60_000);

  afterAll(async () => {
    if (cluster.proc.exitCode === null) cluster.proc.kill('SIGKILL');
    cleanup();
  });

  it('prints the addresses, both tokens and one ready-to-paste follow command per allocation', () => {
    expect(addr).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
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
    expect(await httpStatus(`${addr}/v1/agent/health`)).toBe(0);
  });
});

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI } from '../helpers/fleetgate-process';
import { freePort } from '../helpers/ports';
import { tmpDir } from '../helpers/tmp';

const ROOT = path.resolve(__dirname, '../..');

/** The indented shell block of the README's "ACLs in six steps", as a newcomer pastes it. */
const walkthrough = (): string => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## ACLs in six steps'), readme.indexOf('Alice can read logs'));
  return section
    .split('\n')
    .filter((l) => l.startsWith('    '))
    .map((l) => l.slice(4))
    .join('\n');
};

const bash = (script: string, cwd: string): Promise<{ code: number; out: string }> =>
  new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', script],
      { cwd, timeout: 80_000, env: { ...process.env, FLEETGATE_LOG_LEVEL: 'warn' } },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });

describe('the README ACL walkthrough', () => {
  const t = tmpDir('fleetgate-readme-');
  afterAll(() => t.cleanup());

  it('works when pasted: bootstrap, policy, a token that reads logs but not files', async () => {
    const [redisPort, gwPort, agentPort] = [await freePort(), await freePort(), await freePort()];
    // Same commands, on free ports, with the built CLI for `npx fleetgate`, from a scratch directory.
    const steps = walkthrough()
      .replaceAll('npx fleetgate', `node ${CLI}`)
      .replaceAll('6390', String(redisPort))
      .replaceAll('4646', String(gwPort))
      .replaceAll('4647', String(agentPort))
      .replaceAll('examples/', `${ROOT}/examples/`);
    expect(steps).toContain('acl bootstrap');
    const script = [
      'set -e',
      `trap 'kill $(jobs -p) 2>/dev/null; redis-cli -p ${redisPort} shutdown nosave >/dev/null 2>&1 || true' EXIT`,
      steps,
      `ALICE=$(node -pe 'require("./alice.json").SecretID')`,
      // The task has to have written a line before a tail shows one: ask until it has (20 s at most).
      `A=$(FLEETGATE_TOKEN=$ALICE node ${CLI} operator api /v1/allocations | node -pe 'JSON.parse(require("fs").readFileSync(0))[0].ID')`,
      `for i in $(seq 40); do L=$(FLEETGATE_TOKEN=$ALICE node ${CLI} alloc logs -tail -n 1 $A); [ -n "$L" ] && break; sleep 0.5; done`,
      'echo "$L"',
      `if FLEETGATE_TOKEN=$ALICE node ${CLI} alloc fs $A alloc/logs/app.stdout.0; then echo "alice read a file"; exit 1; fi`,
      'echo walkthrough-ok',
    ].join('\n');
    const { code, out } = await bash(script, t.dir);
    // The whole transcript in the failure message: a walkthrough step that failed is otherwise invisible.
    if (code !== 0) throw new Error(`the walkthrough exited ${code}:\n${out}`);
    expect(out).toContain('Successfully wrote "logs-reader" ACL policy!');
    expect(out).toMatch(/node1\s+dc1\s+127\.0\.0\.1:\d+\s+ready/);
    expect(out).toMatch(/web line \d+/);
    expect(out).toContain('Permission denied (403 from the node agent)');
    expect(out).toContain('walkthrough-ok');
  }, 90_000); // five processes started one after another; slack for a loaded machine
});

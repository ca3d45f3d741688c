import { CLI } from '../helpers/fleetgate-process';
import { freePort } from '../helpers/ports';
import { tmpDir } from '../helpers/tmp';
import { onPorts, readmeBlock, runWalkthrough } from '../helpers/walkthrough';

describe('the README ACL walkthrough', () => {
  const t = tmpDir('fleetgate-readme-');
  afterAll(() => t.cleanup());

  it('works when pasted: bootstrap, policy, a token that reads logs but not files', async () => {
    const [redisPort, gwPort, agentPort] = [await freePort(), await freePort(), await freePort()];
    // Same commands, on free ports, with the built CLI for `npx fleetgate`, from a scratch directory.
    const steps = onPorts(readmeBlock('## ACLs in six steps', 'Alice can read logs'), {
      6390: redisPort,
      4646: gwPort,
      4647: agentPort,
    });
    expect(steps).toContain('acl bootstrap');
    const script = [
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
    const out = await runWalkthrough(script, t.dir, 80_000);
    expect(out).toContain('Successfully wrote "logs-reader" ACL policy!');
    expect(out).toMatch(/node1\s+dc1\s+127\.0\.0\.1:\d+\s+ready/);
    expect(out).toMatch(/web line \d+/);
    expect(out).toContain('Permission denied (403 from the node agent)');
    expect(out).toContain('walkthrough-ok');
  }, 90_000); // five processes started one after another; slack for a loaded machine
});

import { CLI } from '../helpers/fleetgate-process';
import { freePort } from '../helpers/ports';
import { tmpDir } from '../helpers/tmp';
import { onPorts, readmeBlock, runWalkthrough } from '../helpers/walkthrough';

describe('the README TLS walkthrough', () => {
  const t = tmpDir('fleetgate-readme-tls-');
  afterAll(() => t.cleanup());

  it('works when pasted: certificates, HTTPS gateway, mutual-TLS agent, CLI and curl', async () => {
    const [redisPort, gwPort, agentPort] = [await freePort(), await freePort(), await freePort()];
    // Same commands, on free ports, with the built CLI for `npx fleetgate`, from a scratch directory.
    const steps = onPorts(readmeBlock('## TLS in five steps', 'Without `--cert`/`--key` that last `curl`'), {
      6391: redisPort,
      4646: gwPort,
      4647: agentPort,
    });
    expect(steps).toContain('tls ca create');
    expect(steps).toContain('--tls-verify-client');
    const curl = `curl -sS --cacert fleetgate-agent-ca.pem https://127.0.0.1:${agentPort}/v1/agent/health`;
    const script = [
      `trap 'kill $(jobs -p) 2>/dev/null; redis-cli -p ${redisPort} shutdown nosave >/dev/null 2>&1 || true' EXIT`,
      steps,
      'echo',
      // The agent refuses a client without a certificate; the gateway serves the same client.
      `if ${curl}; then echo "the agent served a client without a certificate"; exit 1; fi`,
      `NOMAD_CLIENT_CERT= NOMAD_CLIENT_KEY= node ${CLI} node status --direct never`,
      // The CLI straight to the agent with the exported certificate.
      `A=$(node ${CLI} operator api /v1/allocations | node -pe 'JSON.parse(require("fs").readFileSync(0))[0].ID')`,
      `node ${CLI} alloc fs --direct always $A alloc/logs`,
      'echo walkthrough-ok',
    ].join('\n');
    const out = await runWalkthrough(script, t.dir, 90_000);
    expect(out).toMatch(/listening on https:\/\/127\.0\.0\.1:\d+/);
    expect(out.match(/node1\s+\S+\s+127\.0\.0\.1:\d+\s+ready/g)).toHaveLength(2);
    expect(out).toContain('{"client":{"ok":true,"message":"ok"}}');
    // The agent's log says what the refused client must fix, in one line.
    expect(out).toContain('a client connected without a certificate, and mutual TLS is on');
    expect(out).toMatch(/app\.stdout\.0/);
    expect(out).toContain('walkthrough-ok');
  }, 120_000);
});

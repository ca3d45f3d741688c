import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI } from '../helpers/fleetgate-process';
import { freePort } from '../helpers/ports';
import { tmpDir } from '../helpers/tmp';

const ROOT = path.resolve(__dirname, '../..');

/** The indented shell block of the README's "TLS in five steps", as a newcomer pastes it. */
const walkthrough = (): string => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('## TLS in five steps'),
    readme.indexOf('Without `--cert`/`--key` that last `curl`'),
  );
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
      { cwd, timeout: 90_000, env: { ...process.env, FLEETGATE_LOG_LEVEL: 'warn' } },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });

describe('the README TLS walkthrough', () => {
  const t = tmpDir('fleetgate-readme-tls-');
  afterAll(() => t.cleanup());

  it('works when pasted: certificates, HTTPS gateway, mutual-TLS agent, CLI and curl', async () => {
    const [redisPort, gwPort, agentPort] = [await freePort(), await freePort(), await freePort()];
    // Same commands, on free ports, with the built CLI for `npx fleetgate`, from a scratch directory.
    const steps = walkthrough()
      .replaceAll('npx fleetgate', `node ${CLI}`)
      .replaceAll('6391', String(redisPort))
      .replaceAll('4646', String(gwPort))
      .replaceAll('4647', String(agentPort))
      .replaceAll('examples/', `${ROOT}/examples/`);
    expect(steps).toContain('tls ca create');
    expect(steps).toContain('--tls-verify-client');
    const curl = `curl -sS --cacert fleetgate-agent-ca.pem https://127.0.0.1:${agentPort}/v1/agent/health`;
    const script = [
      'set -e',
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
    const { code, out } = await bash(script, t.dir);
    if (code !== 0) throw new Error(`the walkthrough exited ${code}:\n${out}`);
    expect(out).toMatch(/listening on https:\/\/127\.0\.0\.1:\d+/);
    expect(out.match(/node1\s+\S+\s+127\.0\.0\.1:\d+\s+ready/g)).toHaveLength(2);
    expect(out).toContain('{"client":{"ok":true,"message":"ok"}}');
    // The agent's log says what the refused client must fix, in one line.
    expect(out).toContain('a client connected without a certificate, and mutual TLS is on');
    expect(out).toMatch(/app\.stdout\.0/);
    expect(out).toContain('walkthrough-ok');
  }, 120_000);
});

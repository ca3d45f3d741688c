import { execFile } from 'node:child_process';
import path from 'node:path';
import { CLI, startFleetgate, type FleetgateProcess } from '../helpers/fleetgate-process';
import { eventually } from '../helpers/eventually';
import { expiredOptions, TestPki, type PairFiles } from '../helpers/pki';
import { startRedis, type RedisServer } from '../helpers/redis';
import { tmpDir } from '../helpers/tmp';

/** The CLI run once: its exit code and everything it printed. */
const cli = (args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> =>
  new Promise((resolve) =>
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, ...env }, timeout: 30_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    ),
  );

const count = (text: string, re: RegExp): number => text.split('\n').filter((l) => re.test(l)).length;

/**
 * A gateway serving a certificate the CLI must refuse (another CA's, an expired one, one for
 * another name): the real CLI says what to fix in one line, and the gateway's log says it once,
 * however many times the CLI tries.
 */
describe('a refused server certificate: one line at the CLI, one in the server log', () => {
  const t = tmpDir('fleetgate-tls-lines-');
  let pki: TestPki;
  let redis: RedisServer;
  beforeAll(async () => {
    pki = await TestPki.create(path.join(t.dir, 'pki'));
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
    t.cleanup();
  });

  /** What the server logs when a Node client (the CLI) refuses its certificate: it hangs up, no alert. */
  const HUNG_UP =
    /a client hung up during the TLS handshake \(often: it does not trust this server's certificate, or its name\)/;
  const cases: Array<{
    kind: string;
    cert: () => Promise<PairFiles>;
    cliLine: RegExp;
    /** The line for curl, which tells the server why with a TLS alert (none for a wrong name). */
    alertLine?: RegExp;
  }> = [
    {
      kind: 'unknown CA',
      cert: async () => (await TestPki.create(path.join(t.dir, 'other-ca'))).leaf('other', {}),
      cliLine:
        /^fleetgate: TLS to https:\S+ failed: the server's certificate is not signed by a CA you trust: pass the cluster CA with --ca-cert \(NOMAD_CACERT\)$/,
      alertLine: /a client does not trust this server's certificate: give the client the cluster CA/,
    },
    {
      kind: 'expired',
      cert: () => pki.leaf('expired', expiredOptions()),
      cliLine:
        /^fleetgate: TLS to https:\S+ failed: the server's certificate has expired: renew it \(fleetgate tls cert create\) and send the server SIGHUP$/,
      alertLine: /a client says this server's certificate has expired: renew it and send SIGHUP/,
    },
    {
      kind: 'wrong name',
      cert: () =>
        pki.leaf('elsewhere', { commonName: 'elsewhere', dnsNames: ['elsewhere.example'], ipAddresses: [] }),
      cliLine:
        /^fleetgate: TLS to https:\S+ failed: the server's certificate does not name the host dialled: use a name it carries, or set --tls-server-name \(NOMAD_TLS_SERVER_NAME\)$/,
    },
  ];

  for (const c of cases)
    it(`${c.kind}: the CLI says what to fix in one line each time, the server log says it once`, async () => {
      const own = await c.cert();
      let gw: FleetgateProcess | undefined;
      try {
        gw = await startFleetgate(
          [
            'gateway',
            '--http-addr',
            '127.0.0.1:0',
            '--redis',
            redis.url,
            '--tls-cert',
            own.cert,
            '--tls-key',
            own.key,
          ],
          {},
          45_000,
        );
        const env = { FLEETGATE_ADDR: gw.url, NOMAD_CACERT: pki.caFile };
        for (let i = 0; i < 2; i++) {
          const r = await cli(['node', 'status'], env);
          expect(r.code).not.toBe(0);
          // Exactly one line, and it is the advice: no stack, no second wording of the same failure.
          expect(r.out.trim().split('\n')).toEqual([expect.stringMatching(c.cliLine)]);
        }
        for (let i = 0; i < 2; i++) expect(await curl(gw.url, pki.caFile)).toMatch(/SSL/);
        const log = () => gw!.output();
        await eventually(
          () => count(log(), HUNG_UP) >= 1 && (!c.alertLine || count(log(), c.alertLine) >= 1),
          10_000,
        );
        // Four refused handshakes, each kind of failure logged once.
        expect(count(log(), HUNG_UP)).toBe(1);
        if (c.alertLine) expect(count(log(), c.alertLine)).toBe(1);
      } finally {
        await gw?.stop();
      }
    }, 90_000);
});

/** curl with the cluster CA: what it printed (it refuses the certificate during the handshake). */
const curl = (url: string, ca: string): Promise<string> =>
  new Promise((resolve) =>
    execFile('curl', ['-sS', '--cacert', ca, `${url}/v1/agent/health`], (_e, out, err) => resolve(out + err)),
  );

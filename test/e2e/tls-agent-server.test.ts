import fs from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import path from 'node:path';
import type tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { startAgent, type RunningAgent } from '../../src/agent/agent';
import { loadAgentConfig } from '../../src/config/agent';
import { CLI_TLS_FIX, describeTlsFailure, isTlsFailure } from '../../src/wire/tls-failure';
import { createCa, EKU } from '../../src/tls/pki';
import { expiredOptions, TestPki, type PairFiles } from '../helpers/pki';
import { tmpDir } from '../helpers/tmp';

interface Got {
  status?: number;
  body?: string;
  err?: NodeJS.ErrnoException;
  /** Serial of the certificate the server presented. */
  serial?: string;
}

/** One GET on a fresh connection (no agent pooling), with the given TLS client options. */
const get = (url: string, opts: tls.ConnectionOptions): Promise<Got> =>
  new Promise((resolve) => {
    const req = https.get(`${url}/v1/agent/health`, { ...opts, agent: false }, (res) => {
      const serial = (res.socket as tls.TLSSocket).getPeerCertificate().serialNumber;
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body, serial }));
    });
    req.on('error', (err) => resolve({ err }));
  });

const file = (p: string) => fs.readFileSync(p);

describe('agent over HTTPS (certificates made by fleetgate tls)', () => {
  let t: ReturnType<typeof tmpDir>;
  let pki: TestPki;
  let agentCert: PairFiles;
  let cli: PairFiles;
  let agent: RunningAgent;
  let ca: Buffer;

  const boot = (extra: Record<string, unknown> = {}) =>
    startAgent(
      loadAgentConfig(
        {
          dataDir: path.join(t.dir, 'data'),
          httpAddr: '127.0.0.1:0',
          tlsCert: agentCert.cert,
          tlsKey: agentCert.key,
          tlsCa: pki.caFile,
          ...extra,
        },
        {},
      ),
    );

  beforeAll(async () => {
    t = tmpDir();
    pki = await TestPki.create(path.join(t.dir, 'pki'));
    agentCert = await pki.role('client');
    cli = await pki.role('cli');
    ca = file(pki.caFile);
  });
  afterAll(() => t.cleanup());
  afterEach(async () => agent?.stop());

  it('serves HTTPS to a client that trusts the CA, by IP and by the role name', async () => {
    agent = await boot();
    expect(agent.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect((await get(agent.url, { ca })).status).toBe(200);
    const byRole = await get(agent.url, { ca, servername: 'client.global.fleetgate' });
    expect(byRole.status).toBe(200);
  });

  it('a client that does not know the CA is refused with a line naming --ca-cert', async () => {
    agent = await boot();
    const other = await createCa({ days: 1 });
    for (const opts of [{}, { ca: other.certPem }]) {
      const { err } = await get(agent.url, opts);
      expect(err).toBeDefined();
      expect(isTlsFailure(err!)).toBe(true);
      expect(describeTlsFailure(err!, CLI_TLS_FIX)).toMatch(/not signed by a CA you trust.*--ca-cert/);
    }
  });

  it('a name the certificate does not carry is refused, naming --tls-server-name', async () => {
    agent = await boot();
    const { err } = await get(agent.url, { ca, servername: 'server.global.fleetgate' });
    expect(err?.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(describeTlsFailure(err!, CLI_TLS_FIX)).toMatch(/--tls-server-name/);
  });

  it('an expired server certificate is refused as expired', async () => {
    agentCert = await pki.leaf('expired-agent', expiredOptions());
    try {
      agent = await boot();
      const { err } = await get(agent.url, { ca });
      expect(err?.code).toBe('CERT_HAS_EXPIRED');
      expect(describeTlsFailure(err!, CLI_TLS_FIX)).toMatch(/expired/);
    } finally {
      agentCert = await pki.role('client');
    }
  });

  it('a certificate without serverAuth cannot serve (wrong key usage)', async () => {
    agentCert = await pki.leaf('client-only', { extKeyUsages: [EKU.clientAuth] });
    try {
      agent = await boot();
      const { err } = await get(agent.url, { ca });
      expect(err).toBeDefined();
      expect(isTlsFailure(err!)).toBe(true);
      expect(describeTlsFailure(err!, CLI_TLS_FIX)).toMatch(/wrong key usage/);
    } finally {
      agentCert = await pki.role('client');
    }
  });

  it('plain HTTP to the HTTPS port gets a one-line 400 saying to use https://', async () => {
    agent = await boot();
    const plain = agent.url.replace('https://', 'http://');
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      http
        .get(`${plain}/v1/agent/health`, { agent: false }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        })
        .on('error', reject);
    });
    expect(reply.status).toBe(400);
    expect(reply.body).toBe('Client sent an HTTP request to an HTTPS server: use an https:// address\n');
  });

  describe('with --tls-verify-client (mutual TLS)', () => {
    it('refuses a client without a certificate, naming --client-cert', async () => {
      agent = await boot({ tlsVerifyClient: true });
      const { err } = await get(agent.url, { ca });
      expect(err).toBeDefined();
      expect(describeTlsFailure(err!, CLI_TLS_FIX)).toMatch(/client certificate/);
    });

    it('serves a client certificate from the cluster CA (cli)', async () => {
      agent = await boot({ tlsVerifyClient: true });
      const got = await get(agent.url, { ca, cert: file(cli.cert), key: file(cli.key) });
      expect(got.status).toBe(200);
    });

    it('refuses a client certificate from another CA, an expired one, and one without clientAuth', async () => {
      agent = await boot({ tlsVerifyClient: true });
      const stranger = await TestPki.create(path.join(t.dir, 'stranger'));
      const foreign = await stranger.role('cli');
      const expired = await pki.leaf('expired-cli', { ...expiredOptions(), extKeyUsages: [EKU.clientAuth] });
      const serverOnly = await pki.leaf('server-only', { extKeyUsages: [EKU.serverAuth] });
      for (const c of [foreign, expired, serverOnly]) {
        const { err, status } = await get(agent.url, { ca, cert: file(c.cert), key: file(c.key) });
        expect(status).toBeUndefined();
        expect(isTlsFailure(err!) || err!.code === 'ECONNRESET').toBe(true);
      }
    });
  });

  it('reloadTls swaps the certificate for new connections; an open connection keeps working', async () => {
    const live = path.join(t.dir, 'live');
    fs.mkdirSync(live, { recursive: true });
    const first = await pki.leaf('first', {});
    fs.copyFileSync(first.cert, path.join(live, 'cert.pem'));
    fs.copyFileSync(first.key, path.join(live, 'key.pem'));
    agentCert = { cert: path.join(live, 'cert.pem'), key: path.join(live, 'key.pem') };
    try {
      agent = await boot();
      const keepAlive = new https.Agent({ keepAlive: true, maxSockets: 1, ca });
      const viaPool = () =>
        new Promise<string>((resolve, reject) =>
          https
            .get(`${agent.url}/v1/agent/health`, { agent: keepAlive }, (res) => {
              const serial = (res.socket as tls.TLSSocket).getPeerCertificate().serialNumber;
              res.resume();
              res.on('end', () => resolve(serial));
            })
            .on('error', reject),
        );
      const before = await viaPool();
      expect(before).toBe(new X509Certificate(file(first.cert)).serialNumber);

      const second = await pki.leaf('second', {});
      fs.copyFileSync(second.cert, agentCert.cert);
      fs.copyFileSync(second.key, agentCert.key);
      agent.reloadTls();

      expect((await get(agent.url, { ca })).serial).toBe(new X509Certificate(file(second.cert)).serialNumber);
      // The pooled connection shook hands before the reload and still serves requests.
      expect(await viaPool()).toBe(before);
      keepAlive.destroy();

      // A broken file keeps the previous certificate and says which key is wrong.
      fs.writeFileSync(agentCert.key, 'not a key');
      expect(() => agent.reloadTls()).toThrow(/tls_cert\/tls_key/);
      expect((await get(agent.url, { ca })).status).toBe(200);
    } finally {
      agentCert = await pki.role('client');
    }
  });

  it('bad TLS settings are one config line', async () => {
    expect(() => loadAgentConfig({ dataDir: t.dir, tlsCert: agentCert.cert }, {})).toThrow(
      /config: tls_key: tls_cert and tls_key go together/,
    );
    expect(() =>
      loadAgentConfig(
        { dataDir: t.dir, tlsCert: agentCert.cert, tlsKey: agentCert.key, tlsVerifyClient: true },
        {},
      ),
    ).toThrow(/config: tls_verify_client: .*tls_ca/);
    const env = {
      FLEETGATE_TLS_CERT: agentCert.cert,
      FLEETGATE_TLS_KEY: agentCert.key,
      FLEETGATE_TLS_VERIFY_CLIENT: 'true',
      FLEETGATE_TLS_CA: pki.caFile,
    };
    const c = loadAgentConfig({ dataDir: t.dir }, env);
    expect(c).toMatchObject({ tls_cert: agentCert.cert, tls_verify_client: true, tls_ca: pki.caFile });
    await expect(
      startAgent(
        loadAgentConfig(
          { dataDir: t.dir, httpAddr: '127.0.0.1:0', tlsCert: agentCert.cert, tlsKey: cli.key },
          {},
        ),
      ),
    ).rejects.toThrow(/tls_cert\/tls_key .*(mismatch|KEY_VALUES)/i);
  });
});

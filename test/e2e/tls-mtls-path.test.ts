import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { aclDisabled } from '../../src/acl/disabled';
import { startAgent, type RunningAgent } from '../../src/agent/agent';
import { FleetgateClient, TlsError } from '../../src/api';
import { listen } from '../../src/cli/commands/gateway-serve';
import { tlsOf } from '../../src/cli/commands/op-common';
import { loadAgentConfig } from '../../src/config/agent';
import { RemoteForwarder } from '../../src/forward/remote';
import { silentLogger } from '../../src/log/logger';
import { localLink } from '../../src/agent/registration/local-link';
import { NodeAdmission } from '../../src/registry/admission';
import { MemoryRegistry } from '../../src/registry/memory';
import { createGatewayApp } from '../../src/router/app';
import { clientTlsOptions, type ClientTlsFiles } from '../../src/tls/client';
import { TestPki, type PairFiles } from '../helpers/pki';
import { seedAlloc } from '../helpers/seed-alloc';
import { tmpDir } from '../helpers/tmp';

/**
 * The whole TLS path in one process: an agent that insists on client certificates
 * (--tls-verify-client), a gateway serving HTTPS whose forwarder presents its own certificate
 * and checks the agent's, and the typed client the CLI uses.
 */
describe('mutual TLS: client -> gateway -> agent', () => {
  const t = tmpDir('fleetgate-mtls-');
  let pki: TestPki;
  let server: PairFiles;
  let cli: PairFiles;
  let agent: RunningAgent;
  let gatewayUrl: string;
  let closeGateway: () => void;
  let allocId: string;
  let dataDir: string;
  const registry = new MemoryRegistry();

  const startGateway = async (
    agentServerName?: string,
    agentTlsFiles: ClientTlsFiles = { ca: pki.caFile, cert: server.cert, key: server.key },
    logger = silentLogger(),
  ) => {
    const agentTls = clientTlsOptions(agentTlsFiles);
    const forwarder = new RemoteForwarder({ tls: agentTls, agentServerName, logger });
    const app = createGatewayApp({
      registry,
      forwarder,
      authenticator: aclDisabled,
      logger,
      agentTls: () => ({ ...agentTls, ...(agentServerName ? { servername: agentServerName } : {}) }),
    });
    const g = await listen(app, '127.0.0.1:0', {
      tls: { cert: server.cert, key: server.key, ca: pki.caFile, verifyClient: false },
    });
    return {
      url: g.url,
      close: () => {
        g.server.closeAllConnections();
        g.server.close();
        forwarder.close();
      },
    };
  };

  beforeAll(async () => {
    pki = await TestPki.create(path.join(t.dir, 'pki'));
    server = await pki.role('server');
    cli = await pki.role('cli');
    const client = await pki.role('client');
    dataDir = path.join(t.dir, 'agent');
    const seeded = seedAlloc(dataDir);
    allocId = seeded.id;
    fs.writeFileSync(path.join(seeded.logsDir, 'web.stdout.0'), 'hello over TLS\n');
    agent = await startAgent(
      loadAgentConfig(
        {
          dataDir,
          httpAddr: '127.0.0.1:0',
          tlsCert: client.cert,
          tlsKey: client.key,
          tlsCa: pki.caFile,
          tlsVerifyClient: true,
        },
        {},
      ),
      { link: async (id) => localLink(registry, new NodeAdmission(registry, silentLogger()), id) },
    );
    const g = await startGateway();
    gatewayUrl = g.url;
    closeGateway = g.close;
  });
  afterAll(async () => {
    closeGateway();
    await agent.stop();
    t.cleanup();
  });

  const cat = (c: FleetgateClient) =>
    c.cat(allocId, 'alloc/logs/web.stdout.0').then(async (o) => {
      let s = '';
      for await (const chunk of o.res) s += (chunk as Buffer).toString();
      return { text: s, via: o.via };
    });

  it('the agent registered its https:// address', async () => {
    expect(agent.url).toMatch(/^https:/);
    const node = await registry.getNode(agent.nodeId as never);
    expect(node?.AdvertiseURL).toBe(agent.url);
  });

  it('a client with the CA but no certificate: refused by the agent, served by the gateway', async () => {
    const ca = { ca: pki.caFile };
    const direct = new FleetgateClient({ address: gatewayUrl, direct: 'always', tls: clientTlsOptions(ca) });
    const err = await cat(direct).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect((err as Error).message).toMatch(/requires a client certificate|refused the TLS handshake/);

    // auto: the certificate error is reported, not retried through the gateway in clear or otherwise.
    const lines: string[] = [];
    const auto = new FleetgateClient({
      address: gatewayUrl,
      direct: 'auto',
      tls: clientTlsOptions(ca),
      log: (l) => lines.push(l),
    });
    expect(await cat(auto).catch((e: unknown) => e)).toBeInstanceOf(TlsError);
    expect(lines.join('\n')).not.toMatch(/via gateway/);

    const viaGateway = new FleetgateClient({
      address: gatewayUrl,
      direct: 'never',
      tls: clientTlsOptions(ca),
    });
    expect(await cat(viaGateway)).toEqual({ text: 'hello over TLS\n', via: 'gateway' });
  });

  it('a client with a cli certificate (from NOMAD_* variables) goes straight to the agent', async () => {
    const tls = tlsOf(
      {},
      { NOMAD_CACERT: pki.caFile, NOMAD_CLIENT_CERT: cli.cert, NOMAD_CLIENT_KEY: cli.key },
    );
    const c = new FleetgateClient({ address: gatewayUrl, direct: 'always', tls });
    expect(await cat(c)).toEqual({ text: 'hello over TLS\n', via: 'node' });
  });

  it("alloc fs's bulk download path: the same bytes over mutual TLS, and the same TlsError without a certificate", async () => {
    const body = crypto.randomBytes(3 * 1024 * 1024 + 1);
    fs.writeFileSync(path.join(dataDir, 'alloc', allocId, 'alloc/data/big.bin'), body);
    const download = async (c: FleetgateClient) => {
      const { body: dl, via } = await c.download(allocId, 'alloc/data/big.bin');
      const parts: Buffer[] = [];
      const sink = new Writable({
        write: (chunk: Buffer, _enc, cb) => {
          parts.push(Buffer.from(chunk));
          cb();
        },
      });
      await dl.copyTo(sink);
      return { same: Buffer.concat(parts).equals(body), via };
    };
    const tls = clientTlsOptions({ ca: pki.caFile, cert: cli.cert, key: cli.key });
    const direct = new FleetgateClient({ address: gatewayUrl, direct: 'always', tls });
    expect(await download(direct)).toEqual({ same: true, via: 'node' });
    const viaGateway = new FleetgateClient({ address: gatewayUrl, direct: 'never', tls });
    expect(await download(viaGateway)).toEqual({ same: true, via: 'gateway' });
    const noCert = new FleetgateClient({
      address: gatewayUrl,
      direct: 'always',
      tls: clientTlsOptions({ ca: pki.caFile }),
    });
    const err = await download(noCert).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect((err as Error).message).toMatch(/requires a client certificate|refused the TLS handshake/);
  });

  it('a client without the CA gets one line naming --ca-cert', async () => {
    const c = new FleetgateClient({ address: gatewayUrl, direct: 'never' });
    await expect(c.nodes()).rejects.toThrow(
      /not signed by a CA you trust: pass the cluster CA with --ca-cert/,
    );
  });

  it('the gateway checks the name on the agent certificate when told to', async () => {
    const wrong = await startGateway('server.global.fleetgate');
    const right = await startGateway('client.global.fleetgate');
    try {
      const tls = clientTlsOptions({ ca: pki.caFile });
      const bad = new FleetgateClient({ address: wrong.url, direct: 'never', tls });
      // The 503 names the gateway's flag, not the CLI's --tls-server-name.
      await expect(cat(bad)).rejects.toThrow(
        /503.*No path to node.*TLS: the agent's certificate does not name .*the gateway's --tls-agent-server-name/,
      );
      const good = new FleetgateClient({ address: right.url, direct: 'never', tls });
      expect((await cat(good)).text).toBe('hello over TLS\n');
    } finally {
      wrong.close();
      right.close();
    }
  });

  it("the gateway's 503 names the gateway flag to fix (CA, client certificate), and logs it once", async () => {
    const lines: Array<{ msg: string; suppressed?: number }> = [];
    const sink = pino({ level: 'warn' }, { write: (l: string) => lines.push(JSON.parse(l)) });
    const noCa = await startGateway(undefined, { cert: server.cert, key: server.key }, sink);
    const noCert = await startGateway(undefined, { ca: pki.caFile });
    try {
      const tls = clientTlsOptions({ ca: pki.caFile });
      const viaNoCa = new FleetgateClient({ address: noCa.url, direct: 'never', tls });
      for (let i = 0; i < 3; i++)
        await expect(cat(viaNoCa)).rejects.toThrow(
          /503.*TLS: the agent's certificate is not signed by a CA the gateway trusts: pass the cluster CA with the gateway's --tls-ca/,
        );
      const tlsLines = lines.filter((l) => /^TLS to node/.test(l.msg));
      expect(tlsLines).toHaveLength(1);
      expect(tlsLines[0]!.msg).toMatch(/the gateway's --tls-ca/);

      const viaNoCert = new FleetgateClient({ address: noCert.url, direct: 'never', tls });
      await expect(cat(viaNoCert)).rejects.toThrow(
        /503.*TLS: the agent requires a client certificate \(mutual TLS\): pass the gateway's --tls-cert and --tls-key/,
      );
    } finally {
      noCa.close();
      noCert.close();
    }
  });

  it('the job-wide log stream reaches the agent with the gateway certificate', async () => {
    const res = await fetchTls(`${gatewayUrl}/v1/job/web/logs?plain=true&prefix=false`, pki.caFile);
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/^hello over TLS\n/);
  });
});

/** GET over HTTPS trusting `caFile`; the whole body. */
const fetchTls = (url: string, caFile: string): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    https
      .get(url, { ca: fs.readFileSync(caFile), agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });

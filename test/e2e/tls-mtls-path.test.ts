import fs from 'node:fs';
import path from 'node:path';
import { aclDisabled } from '../../src/acl/disabled';
import { startAgent, type RunningAgent } from '../../src/agent/agent';
import { FleetgateClient, TlsError } from '../../src/api';
import { listen } from '../../src/cli/commands/gateway-serve';
import { tlsOf } from '../../src/cli/commands/op-common';
import { loadAgentConfig } from '../../src/config/agent';
import { RemoteForwarder } from '../../src/forward/remote';
import { silentLogger } from '../../src/log/logger';
import { MemoryRegistry } from '../../src/registry/memory';
import { createGatewayApp } from '../../src/router/app';
import { clientTlsOptions } from '../../src/tls/client';
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
  const registry = new MemoryRegistry();

  const startGateway = async (agentServerName?: string) => {
    const forwarder = new RemoteForwarder({
      tls: clientTlsOptions({ ca: pki.caFile, cert: server.cert, key: server.key }),
      agentServerName,
    });
    const app = createGatewayApp({ registry, forwarder, authenticator: aclDisabled, logger: silentLogger() });
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
    const dataDir = path.join(t.dir, 'agent');
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
      { registry },
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
      await expect(cat(bad)).rejects.toThrow(/503.*No path to node.*TLS: .*does not name/);
      const good = new FleetgateClient({ address: right.url, direct: 'never', tls });
      expect((await cat(good)).text).toBe('hello over TLS\n');
    } finally {
      wrong.close();
      right.close();
    }
  });
});

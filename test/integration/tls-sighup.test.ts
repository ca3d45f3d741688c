import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type tls from 'node:tls';
import { createLeaf, roleProfile, type CertRole } from '../../src/tls/pki';
import { eventually } from '../helpers/eventually';
import { startFleetgate, type FleetgateProcess } from '../helpers/fleetgate-process';
import { stackTls, type StackTls } from '../helpers/https';
import { joinTokenFile } from '../helpers/join';
import { startRedis, type RedisServer } from '../helpers/redis';
import { tmpDir } from '../helpers/tmp';

/** Serial of the certificate a server presents on a fresh connection. */
const servedSerial = (url: string, opts: tls.ConnectionOptions): Promise<string> =>
  new Promise((resolve, reject) => {
    const req = https.get(`${url}/v1/agent/health`, { ...opts, agent: false }, (res) => {
      resolve((res.socket as tls.TLSSocket).getPeerCertificate().serialNumber);
      res.resume();
    });
    req.on('error', reject);
  });

const serialOf = (file: string) => new X509Certificate(fs.readFileSync(file)).serialNumber;

/**
 * `kill -HUP` on real gateway and agent processes: renewed certificate files go live for new
 * connections, while a follow stream opened before (through the gateway, over TLS on both hops)
 * keeps delivering the task's new lines.
 */
describe('SIGHUP reloads certificates while a follow stream stays open', () => {
  const t = tmpDir('fleetgate-sighup-');
  let redis: RedisServer;
  let gateway: FleetgateProcess;
  let agent: FleetgateProcess;
  let s: StackTls;
  let allocId = '';

  beforeAll(async () => {
    s = await stackTls(t.dir);
    redis = await startRedis();
    const join = path.join(t.dir, 'join');
    gateway = await startFleetgate(
      ['gateway', '--http-addr', '127.0.0.1:0', '--redis', redis.url, ...s.gatewayArgs],
      { FLEETGATE_LOG_LEVEL: 'info' },
    );
    const config = path.join(t.dir, 'agent.json');
    const dataDir = path.join(t.dir, 'data');
    fs.writeFileSync(
      config,
      JSON.stringify({
        allocations: [
          {
            job: 'ticker',
            tasks: [
              {
                name: 'web',
                command: '/bin/sh',
                args: ['-c', 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.2; done'],
              },
            ],
          },
        ],
      }),
    );
    agent = await startFleetgate(
      [
        'agent',
        '--config',
        config,
        '--http-addr',
        '127.0.0.1:0',
        '--data-dir',
        dataDir,
        '--node-name',
        'hup',
        '--gateway',
        gateway.url,
        '--join-token',
        await joinTokenFile(gateway.url, join, undefined, s.client),
        ...s.agentArgs,
      ],
      { FLEETGATE_LOG_LEVEL: 'info' },
    );
    allocId = fs
      .readdirSync(path.join(dataDir, 'client/allocs'))
      .find((n) => n.endsWith('.json'))!
      .slice(0, -5);
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop('SIGTERM');
    await agent?.stop('SIGTERM');
    await redis?.stop();
    t.cleanup();
  });

  /** A certificate for `role` from the same CA, written over the files the process serves. */
  const renew = async (role: CertRole, files: { cert: string; key: string }): Promise<string> => {
    const ca = {
      certPem: fs.readFileSync(s.pki.ca.cert, 'utf8'),
      keyPem: fs.readFileSync(s.pki.ca.key, 'utf8'),
    };
    const pem = await createLeaf({ ca, days: 30, ...roleProfile(role, 'global', 'fleetgate') });
    fs.writeFileSync(files.key, pem.keyPem);
    fs.writeFileSync(files.cert, pem.certPem);
    return serialOf(files.cert);
  };

  it('new connections get the renewed certificates; the open follow keeps delivering', async () => {
    const oldGateway = serialOf(s.pki.server.cert);
    const oldAgent = serialOf(s.pki.client.cert);
    expect(await servedSerial(gateway.url, s.client)).toBe(oldGateway);
    expect(await servedSerial(agent.url, s.client)).toBe(oldAgent);

    // Follow through the gateway (TLS to the gateway, mutual TLS from the gateway to the agent).
    let text = '';
    const follow = https.get(
      `${gateway.url}/v1/client/fs/logs/${allocId}?task=web&type=stdout&follow=true&plain=true`,
      { ...s.client, agent: false },
    );
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      follow.on('response', resolve);
      follow.on('error', reject);
    });
    expect(res.statusCode).toBe(200);
    res.on('data', (c: Buffer) => (text += c.toString()));
    await eventually(() => /tick \d+\n/.test(text), 15_000, 'first lines of the follow');

    const newGateway = await renew('server', s.pki.server);
    const newAgent = await renew('client', s.pki.client);
    gateway.proc.kill('SIGHUP');
    agent.proc.kill('SIGHUP');
    await eventually(
      async () =>
        (await servedSerial(gateway.url, s.client)) === newGateway &&
        (await servedSerial(agent.url, s.client)) === newAgent,
      10_000,
      'the renewed certificates served to new connections',
    );
    expect(newGateway).not.toBe(oldGateway);
    expect(newAgent).not.toBe(oldAgent);

    // The stream opened before the reload still brings new lines.
    const seen = text.length;
    await eventually(() => text.length > seen && /tick \d+\n$/.test(text), 10_000, 'lines after SIGHUP');
    expect(res.destroyed).toBe(false);
    // A new request through the gateway now dials the agent with the renewed certificates both ways.
    const again = await new Promise<number>((resolve, reject) =>
      https
        .get(
          `${gateway.url}/v1/client/fs/ls/${allocId}?path=/alloc/logs`,
          { ...s.client, agent: false },
          (r) => {
            r.resume();
            resolve(r.statusCode!);
          },
        )
        .on('error', reject),
    );
    expect(again).toBe(200);
    follow.destroy();
    expect(gateway.output()).toContain('SIGHUP: TLS certificate files reloaded');
    expect(agent.output()).toContain('SIGHUP: TLS certificate files reloaded');
  }, 60_000);
});

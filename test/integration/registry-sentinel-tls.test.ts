import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { RedisRegistry } from '../../src/registry/redis';
import { clientTlsOptions } from '../../src/tls/client';
import { asNodeId } from '../../src/wire';
import { TestPki, type PairFiles } from '../helpers/pki';
import { freePort } from '../helpers/ports';
import { startRedis, type RedisServer } from '../helpers/redis';
import { tmpDir } from '../helpers/tmp';
import { node } from '../unit/registry/contract';

const NODE = asNodeId('5c1d0f3a-7b2e-4c61-9a0d-2e8f4b6c1d70');

/**
 * rediss-sentinel:// end to end: the sentinel and the master both listen for TLS only and want
 * a client certificate, so the registry must speak TLS to the sentinel to learn the master and
 * again to the master itself.
 */
describe('the registry behind Redis Sentinel over TLS (rediss-sentinel://)', () => {
  const t = tmpDir('fleetgate-sentinel-tls-');
  let pki: TestPki;
  let cli: PairFiles;
  let master: RedisServer;
  let sentinel: ChildProcess;
  let sentinelPort: number;

  beforeAll(async () => {
    pki = await TestPki.create(path.join(t.dir, 'pki'));
    const server = await pki.role('server');
    const client = await pki.role('client');
    cli = await pki.role('cli');
    master = await startRedis({ ...server, ca: pki.caFile, authClients: true });
    sentinelPort = await freePort();
    const conf = path.join(t.dir, 'sentinel.conf');
    fs.writeFileSync(
      conf,
      [
        'port 0',
        `tls-port ${sentinelPort}`,
        'bind 127.0.0.1',
        `tls-cert-file ${server.cert}`,
        `tls-key-file ${server.key}`,
        // The sentinel's own connections to the master present a client certificate.
        `tls-client-cert-file ${client.cert}`,
        `tls-client-key-file ${client.key}`,
        `tls-ca-cert-file ${pki.caFile}`,
        'tls-auth-clients yes',
        'tls-replication yes',
        `sentinel monitor fleet 127.0.0.1 ${master.port} 1`,
        `dir ${t.dir}`,
        '',
      ].join('\n'),
    );
    sentinel = spawn('redis-server', [conf, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`sentinel did not start: ${out}`)), 10000);
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes('+monitor master fleet')) {
          clearTimeout(timer);
          resolve();
        }
      };
      sentinel.stdout!.on('data', onData);
      sentinel.stderr!.on('data', onData);
    });
  }, 30_000);

  afterAll(async () => {
    sentinel?.kill('SIGKILL');
    await master?.stop('SIGTERM');
    t.cleanup();
  });

  it('finds the master through the sentinel and stores and reads over TLS', async () => {
    const reg = await RedisRegistry.connect({
      url: `rediss-sentinel://127.0.0.1:${sentinelPort}/fleet`,
      tls: clientTlsOptions({ ca: pki.caFile, cert: cli.cert, key: cli.key }),
      startupWaitMs: 5000,
    });
    try {
      await reg.putNode(node({ ID: NODE, Name: 'n-tls' }), 10_000);
      expect((await reg.getNode(NODE))?.Name).toBe('n-tls');
    } finally {
      await reg.close();
    }
  });
});

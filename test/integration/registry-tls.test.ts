import fs from 'node:fs';
import path from 'node:path';
import { RedisRegistry } from '../../src/registry/redis';
import { clientTlsOptions } from '../../src/tls/client';
import { asNodeId } from '../../src/wire';
import { TestPki, type PairFiles } from '../helpers/pki';
import { startRedis, type RedisServer } from '../helpers/redis';
import { tmpDir } from '../helpers/tmp';
import { node } from '../unit/registry/contract';

const NODE = asNodeId('0b8f1e0e-5e0a-4d55-9d5b-3c2f1b8a7e10');

describe('the registry over TLS (rediss:// to a real redis-server --tls-port)', () => {
  const t = tmpDir('fleetgate-rediss-');
  let pki: TestPki;
  let redis: RedisServer;
  let cli: PairFiles;

  beforeAll(async () => {
    pki = await TestPki.create(path.join(t.dir, 'pki'));
    const server = await pki.role('server');
    cli = await pki.role('cli');
    redis = await startRedis({ ...server, ca: pki.caFile, authClients: true });
  });
  afterAll(async () => {
    await redis.stop('SIGTERM');
    t.cleanup();
  });

  it('stores and reads a node with the CA and a client certificate', async () => {
    expect(redis.url).toMatch(/^rediss:\/\//);
    const reg = await RedisRegistry.connect({
      url: redis.url,
      tls: clientTlsOptions({ ca: pki.caFile, cert: cli.cert, key: cli.key }),
      startupWaitMs: 5000,
    });
    try {
      await reg.putNode(node({ ID: NODE, Name: 'n1' }), 10_000);
      expect((await reg.getNode(NODE))?.Name).toBe('n1');
    } finally {
      await reg.close();
    }
  });

  it('without a client certificate, or without the CA, it never connects and says why', async () => {
    for (const files of [{ ca: pki.caFile }, { cert: cli.cert, key: cli.key }]) {
      const errors: string[] = [];
      const reg = await RedisRegistry.connect({
        url: redis.url,
        tls: clientTlsOptions(files),
        startupWaitMs: 1500,
        onError: (e) => errors.push(`${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}`),
      });
      try {
        await expect(reg.getNode(NODE)).rejects.toThrow();
        expect(errors.join('\n')).toMatch(/certificate|SSL|TLS|ECONNRESET|socket/i);
      } finally {
        await reg.close();
      }
    }
    expect(fs.existsSync(pki.caFile)).toBe(true);
  });
});

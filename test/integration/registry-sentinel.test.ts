import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { redisTarget } from '../../src/config/redis-target';
import { RedisRegistry } from '../../src/registry/redis';
import type { RegistryChange } from '../../src/registry/registry';
import { asAllocId, asNodeId } from '../../src/wire';
import { freePort } from '../helpers/ports';
import { startRedis, type RedisServer } from '../helpers/redis';
import { tmpDir } from '../helpers/tmp';
import { eventually } from '../helpers/eventually';

describe('redis URLs', () => {
  it('a redis:// URL is handed to ioredis as it is', () => {
    expect(redisTarget('redis://127.0.0.1:6379/2')).toEqual({ url: 'redis://127.0.0.1:6379/2', options: {} });
  });

  it('a redis-sentinel:// URL names the sentinels, the master, the password and the db', () => {
    expect(redisTarget('redis-sentinel://:s3cr%40t@10.0.0.1:26379,sentinel-b/mymaster/3')).toEqual({
      options: {
        sentinels: [
          { host: '10.0.0.1', port: 26379 },
          { host: 'sentinel-b', port: 26379 },
        ],
        name: 'mymaster',
        password: 's3cr@t',
        sentinelPassword: 's3cr@t',
        db: 3,
      },
    });
  });

  it('a sentinel URL without a master name is refused with the expected shape', () => {
    expect(() => redisTarget('redis-sentinel://127.0.0.1:26379')).toThrow(
      /want redis-sentinel:\/\/host:port/,
    );
  });
});

describe('the registry behind Redis Sentinel', () => {
  let master: RedisServer;
  let sentinel: ChildProcess;
  let sentinelPort: number;
  const dir = tmpDir('fleetgate-sentinel-');

  beforeAll(async () => {
    master = await startRedis();
    sentinelPort = await freePort();
    const conf = path.join(dir.dir, 'sentinel.conf');
    fs.writeFileSync(
      conf,
      [
        `port ${sentinelPort}`,
        'bind 127.0.0.1',
        `sentinel monitor fleet 127.0.0.1 ${master.port} 1`,
        `dir ${dir.dir}`,
        '',
      ].join('\n'),
    );
    sentinel = spawn('redis-server', [conf, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error(`sentinel did not start: ${out}`)), 10000);
      sentinel.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('+monitor master fleet')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
  });

  afterAll(async () => {
    sentinel.kill('SIGKILL');
    await master.stop();
    dir.cleanup();
  });

  it('finds the master through the sentinel, stores, reads and publishes changes', async () => {
    const a = await RedisRegistry.connect({
      url: `redis-sentinel://127.0.0.1:${sentinelPort}/fleet`,
      prefix: 'sent:',
    });
    const b = await RedisRegistry.connect({ url: master.url, prefix: 'sent:' });
    try {
      const seen: RegistryChange[] = [];
      b.onChange((c) => seen.push(c));
      const id = asAllocId('9a3f4c1e-1111-4222-8333-444455556666');
      const alloc = {
        ID: id,
        NodeID: asNodeId('0b1c2d3e-1111-4222-8333-444455556666'),
        Namespace: 'default',
        JobID: 'web',
        TaskGroup: 'web',
        Name: 'web.web[0]',
        Tasks: ['app'],
        ClientStatus: 'running' as const,
        CreateTime: 1,
        ModifyTime: 1,
      };
      await a.putAlloc(alloc);
      expect(await b.getAlloc(id)).toEqual({
        ...alloc,
        CreateIndex: expect.any(Number),
        ModifyIndex: expect.any(Number),
      });
      await eventually(() => seen.some((c) => c.kind === 'alloc' && c.id === id), 1000);
      expect(seen).toContainEqual(expect.objectContaining({ kind: 'alloc', id }));
    } finally {
      await a.close();
      await b.close();
    }
  });
});

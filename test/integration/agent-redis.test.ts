import path from 'node:path';
import { RedisRegistry } from '../../src/registry/redis';
import { asNodeId } from '../../src/wire';
import { startFleetgate, type FleetgateProcess } from '../helpers/fleetgate-process';
import { startRedis, type RedisServer } from '../helpers/redis';
import { tmpDir } from '../helpers/tmp';
import { eventually } from '../helpers/eventually';

describe('fleetgate agent with Redis', () => {
  let redis: RedisServer;
  let reader: RedisRegistry;
  let agent: FleetgateProcess | undefined;
  let t: ReturnType<typeof tmpDir>;
  beforeEach(async () => {
    t = tmpDir();
    redis = await startRedis();
    reader = await RedisRegistry.connect({ url: redis.url });
  });
  afterEach(async () => {
    await agent?.stop('SIGKILL');
    await reader.close();
    await redis.stop();
    t.cleanup();
  });

  it('registers, keeps serving while Redis is down, re-registers when it returns, and lapses on SIGTERM', async () => {
    agent = await startFleetgate([
      'agent',
      '--http-addr',
      '127.0.0.1:0',
      '--data-dir',
      path.join(t.dir, 'd'),
      '--node-name',
      'n1',
      '--redis',
      redis.url,
      '--heartbeat-interval-ms',
      '200',
      '--meta',
      'rack=r1',
    ]);
    await eventually(async () => /node id [0-9a-f-]{36}/.test(agent!.output()), 8000);
    const nodeId = asNodeId(/node id ([0-9a-f-]{36})/.exec(agent.output())![1]!);
    await eventually(async () => (await reader.getNode(nodeId))?.Status === 'ready', 8000);
    const node = (await reader.getNode(nodeId))!;
    expect(node).toMatchObject({ Name: 'n1', HTTPAddr: new URL(agent.url).host, AdvertiseURL: agent.url });
    expect(node.Meta['rack']).toBe('r1');

    await redis.stop();
    const res = await fetch(`${agent.url}/v1/client/metadata`, {
      method: 'POST',
      body: JSON.stringify({ Meta: { foo: 'bar' } }),
    });
    expect(res.status).toBe(200);
    expect((await fetch(`${agent.url}/v1/client/stats`)).status).toBe(200);

    await redis.restart(); // empty: everything must be put again
    await eventually(async () => (await reader.getNode(nodeId))?.Meta['foo'] === 'bar', 15000);
    expect((await reader.getNode(nodeId))?.Status).toBe('ready');

    await agent.stop('SIGTERM');
    agent = undefined;
    await eventually(async () => (await reader.getNode(nodeId))?.Status === 'down', 2000);
  });
});

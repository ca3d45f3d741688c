import type { IncomingMessage as Request, ServerResponse as Response } from 'node:http';
import pino from 'pino';
import request from 'supertest';
import { createAgentApp, type AgentAppDeps } from '../../../../src/agent/app';
import { createMetrics } from '../../../../src/log/metrics';
import { aclDisabled } from '../../../../src/acl/disabled';
import { asAllocId, asNodeId, type AllocManifest } from '../../../../src/wire';

const ALLOC = '11111111-2222-3333-4444-555555555555';
const manifest: AllocManifest = {
  ID: asAllocId(ALLOC),
  Namespace: 'default',
  JobID: 'j',
  TaskGroup: 'g',
  Name: 'j.g[0]',
  Tasks: ['t'],
  ClientStatus: 'running',
  CreateTime: 0,
  ModifyTime: 0,
};

/** The agent app with only what the metrics path touches; the stream handler is a stand-in. */
const app = () => {
  const metrics = createMetrics({ role: 'agent', defaultMetrics: false });
  const deps = {
    node: {
      id: asNodeId('node-1'),
      name: 'n',
      datacenter: 'dc1',
      version: 't',
      httpAddr: () => '',
      advertiseUrl: () => '',
    },
    dataDir: '/nonexistent',
    logger: pino({ level: 'silent' }),
    authenticator: aclDisabled,
    manifests: { get: (id: string) => (id === ALLOC ? manifest : undefined) },
    handlerOverrides: {
      'fs.stream': async (_req: Request, res: Response) => {
        res.statusCode = 200;
        res.write(Buffer.alloc(1000, 'a'));
        res.end('{}');
      },
    },
  } as unknown as AgentAppDeps;
  return createAgentApp(deps, { metrics });
};

describe('agent /v1/metrics', () => {
  it('counts requests by route id and status, stream bytes and open streams, without alloc ids', async () => {
    const a = app();
    await request(a).get(`/v1/client/fs/stream/${ALLOC}?path=x`).expect(200);
    await new Promise((r) => setImmediate(r)); // 'close' records the end
    const res = await request(a).get('/v1/metrics?format=prometheus').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain('fleetgate_agent_requests_total{route="fs.stream",status="200"} 1');
    expect(res.text).toContain('fleetgate_agent_bytes_streamed_total 1002');
    expect(res.text).toContain('fleetgate_agent_open_streams 0');
    expect(res.text).toMatch(/fleetgate_agent_request_duration_seconds_count\{route="fs.stream"\} 1/);
    expect(res.text).not.toContain(ALLOC);
  });
});

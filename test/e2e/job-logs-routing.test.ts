import request from 'supertest';
import { aclDisabled } from '../../src/acl/disabled';
import { RemoteForwarder } from '../../src/forward/remote';
import { silentLogger } from '../../src/log/logger';
import { MemoryRegistry } from '../../src/registry/memory';
import { createGatewayApp } from '../../src/router/app';

/**
 * The job-wide log route follows the routing rules of the client rows (docs/wire.md, "Routing"):
 * exact paths, 405 `Invalid method` for another method on its path, HEAD where GET is, and its
 * parameter check (400) before the job is looked up (404).
 */
describe('GET /v1/job/:job_id/logs routing', () => {
  const forwarder = new RemoteForwarder({ connectTimeoutMs: 500 });
  const app = createGatewayApp({
    registry: new MemoryRegistry(),
    forwarder,
    authenticator: aclDisabled,
    logger: silentLogger(),
  });
  afterAll(() => forwarder.close());

  it.each(['POST', 'PUT', 'DELETE'] as const)('%s is 405 Invalid method', async (method) => {
    const res = await request(app)[method.toLowerCase() as 'post' | 'put' | 'delete']('/v1/job/web/logs');
    expect({ status: res.status, text: res.text }).toEqual({ status: 405, text: 'Invalid method' });
  });

  it.each(['/v1/job/web/logs/', '/V1/JOB/web/logs', '/v1/job/web/Logs'])(
    '%s is another path: 404 resource not found',
    async (path) => {
      const res = await request(app).get(path);
      expect({ status: res.status, text: res.text }).toEqual({ status: 404, text: 'resource not found' });
    },
  );

  it('GET and HEAD reach the route: an unknown job is 404 after the parameters are checked', async () => {
    const bad = await request(app).get('/v1/job/web/logs?offset=-1');
    expect({ status: bad.status, text: bad.text }).toEqual({
      status: 400,
      text: 'offset must not be negative',
    });
    const res = await request(app).get('/v1/job/web/logs');
    expect({ status: res.status, text: res.text }).toEqual({
      status: 404,
      text: 'job "web" has no allocations in namespace "default"',
    });
    expect((await request(app).head('/v1/job/web/logs')).status).toBe(404);
  });
});

import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROUTE_IDS, ROUTES, routePath, type RouteId } from '../../src/wire';
import { eventually } from '../helpers/eventually';
import { joinTokenFile } from '../helpers/join';
import { CLI, startFleetgate, type FleetgateProcess } from '../helpers/fleetgate-process';
import { startRedis, type RedisServer } from '../helpers/redis';
import { seedAlloc } from '../helpers/seed-alloc';
import { tmpDir } from '../helpers/tmp';

/**
 * The parity table: every route × method × path spelling × request case, asked through a real
 * gateway and directly at a real agent (both with ACLs on). Both roles run the same request
 * kernel, so each pair must give the same status and the same body. The one difference by
 * design: a node row without `node_id` means "this node" at an agent and is a 400 at the
 * gateway, which has no node of its own.
 */
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD'] as const;
const SPELLINGS = ['exact', 'trailing slash', 'upper case'] as const;
const CASES = ['good', 'missing parameter', 'unknown id', 'bad token', 'no capability'] as const;
type Case = (typeof CASES)[number];
const LOG = 'hello from web\n'.repeat(20);
/** Generous: on a loaded machine a Node process may take several seconds to start. */
const STARTUP_MS = 60_000;
const NO_NODE = 'No local Node and node_id not provided';

interface Reply {
  status: number;
  body: string;
}

/** Query of a good request per row; `required` is the parameter the "missing parameter" case drops. */
const GOOD: Record<RouteId, { query: Record<string, string>; required?: string; body?: string }> = {
  'metadata.read': { query: {} },
  'metadata.apply': { query: {}, body: '{"Meta":{"rack":"r1"}}' },
  'stats.host': { query: {} },
  'gc.all': { query: {} },
  'alloc.stats': { query: {} },
  'alloc.gc': { query: {} },
  'fs.ls': { query: { path: '/alloc/logs' } },
  'fs.stat': { query: { path: '/alloc/logs/web.stdout.0' }, required: 'path' },
  'fs.cat': { query: { path: '/alloc/logs/web.stdout.0' }, required: 'path' },
  'fs.readat': { query: { path: '/alloc/logs/web.stdout.0', offset: '5', limit: '20' }, required: 'offset' },
  'fs.stream': { query: { path: '/alloc/logs/web.stdout.0', follow: 'false' }, required: 'path' },
  'fs.logs': { query: { task: 'web', type: 'stdout', plain: 'true' }, required: 'type' },
  'alloc.stop': { query: { namespace: 'default' } },
  metrics: { query: { format: 'prometheus' } },
};

/** Rows whose successful answer is a live measurement or carries a fresh id: compared by status only. */
const LIVE: ReadonlySet<RouteId> = new Set<RouteId>(['stats.host', 'alloc.stats', 'alloc.stop', 'metrics']);

describe('parity: the gateway and an agent answer every request alike', () => {
  let redis: RedisServer;
  let gateway: FleetgateProcess;
  let agent: FleetgateProcess;
  const cleanups: Array<() => void> = [];
  let nodeId = '';
  let alloc = '';
  /** Stopped by the alloc.stop rows, so the other rows keep a running allocation. */
  let victim = '';
  let management = '';
  let powerless = '';

  const call = async (base: string, method: string, url: string, token?: string, body?: string) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: token !== undefined ? { 'X-Nomad-Token': token } : {},
      ...(body !== undefined && method !== 'GET' && method !== 'HEAD' ? { body } : {}),
    });
    return { status: res.status, body: await res.text() } satisfies Reply;
  };

  beforeAll(async () => {
    redis = await startRedis();
    const keys = tmpDir('fleetgate-keys-');
    const data = tmpDir('fleetgate-agent-');
    cleanups.push(keys.cleanup, data.cleanup);
    await promisify(execFile)(process.execPath, [CLI, 'acl', 'keygen', '--out', keys.dir]);
    const main = seedAlloc(data.dir);
    fs.writeFileSync(path.join(main.logsDir, 'web.stdout.0'), LOG);
    alloc = main.id;
    victim = seedAlloc(data.dir).id;
    const acl = (key: string) => ['--acl', '--acl-key', path.join(keys.dir, key)];
    // The gateway comes first: the agent joins through it with a join token only a management token can create.
    gateway = await startFleetgate(
      ['gateway', '--http-addr', '127.0.0.1:0', '--redis', redis.url, ...acl('acl-private.pem')],
      {},
      STARTUP_MS,
    );
    const boot = await call(gateway.url, 'POST', '/v1/acl/bootstrap');
    management = (JSON.parse(boot.body) as { SecretID: string }).SecretID;
    const join = await joinTokenFile(gateway.url, keys.dir, management);
    agent = await startFleetgate(
      [
        'agent',
        '--http-addr',
        '127.0.0.1:0',
        '--data-dir',
        data.dir,
        '--node-name',
        'parity',
        '--gateway',
        gateway.url,
        '--join-token',
        join,
        ...acl('acl-public.pem'),
      ],
      {},
      STARTUP_MS,
    );
    nodeId = fs.readFileSync(path.join(data.dir, 'client/node-id'), 'utf8').trim();
    const policy = JSON.stringify({ namespace: { other: { policy: 'write' } } });
    const put = await call(
      gateway.url,
      'POST',
      '/v1/acl/policy/elsewhere',
      management,
      JSON.stringify({ Rules: policy }),
    );
    expect(put.status).toBe(200);
    const tok = await call(
      gateway.url,
      'POST',
      '/v1/acl/token',
      management,
      JSON.stringify({ Type: 'client', Policies: ['elsewhere'], ExpirationTTL: '1h' }),
    );
    powerless = (JSON.parse(tok.body) as { SecretID: string }).SecretID;
    // Registered and adopted within about a second; allow for a loaded machine.
    await eventually(async () => {
      const a = await call(gateway.url, 'GET', `/v1/client/fs/ls/${alloc}`, management);
      const b = await call(gateway.url, 'GET', `/v1/client/allocation/${victim}/stats`, management);
      return a.status === 200 && b.status === 200;
    }, 15_000);
    // Forwarded requests carry the gateway's assertion and need no ACL state at the agent; a token
    // sent straight to the agent does: wait for the agent's first ACL push (it fails closed before).
    await eventually(
      async () => (await call(agent.url, 'GET', '/v1/client/stats', powerless)).status !== 503,
      15_000,
    );
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop('SIGKILL');
    await agent?.stop('SIGKILL');
    await redis?.stop();
    for (const c of cleanups) c();
  });

  const requestFor = (id: RouteId, c: Case, spelling: (typeof SPELLINGS)[number]) => {
    const row = ROUTES[id];
    const good = GOOD[id];
    const query: Record<string, string> = { ...good.query };
    let allocId = id === 'alloc.stop' ? victim : alloc;
    if (row.target === 'node') query['node_id'] = nodeId;
    if (c === 'unknown id') {
      if (row.target === 'alloc') allocId = randomUUID();
      else query['node_id'] = randomUUID();
    }
    if (c === 'missing parameter') {
      if (good.required) delete query[good.required];
      else if (row.target === 'alloc') allocId = '';
      else delete query['node_id'];
    }
    let p = routePath(id, allocId);
    if (spelling === 'trailing slash') p += '/';
    if (spelling === 'upper case') p = p.toUpperCase();
    const qs = new URLSearchParams(query).toString();
    const token = c === 'bad token' ? 'not-a-token' : c === 'no capability' ? powerless : management;
    return { url: qs ? `${p}?${qs}` : p, token, body: good.body };
  };

  for (const id of ROUTE_IDS) {
    it(`${id}: every method, spelling and case`, async () => {
      const mismatches: string[] = [];
      for (const method of METHODS)
        for (const spelling of SPELLINGS)
          for (const c of CASES) {
            const r = requestFor(id, c, spelling);
            const gw = await call(gateway.url, method, r.url, r.token, r.body);
            const ag = await call(agent.url, method, r.url, r.token, r.body);
            const label = `${method} ${r.url} [${c}]`;
            const nodeDefault =
              ROUTES[id].target === 'node' && c === 'missing parameter' && !GOOD[id].required;
            const noNode = gw.status === 400 && gw.body === (method === 'HEAD' ? '' : NO_NODE);
            // The gateway has no node of its own; the agent is the node.
            if (nodeDefault && noNode && ag.status !== 400) continue;
            const sameBody = LIVE.has(id) && gw.status === 200 ? true : gw.body === ag.body;
            if (gw.status !== ag.status || !sameBody)
              mismatches.push(`${label}: gateway ${gw.status} ${gw.body} | agent ${ag.status} ${ag.body}`);
          }
      expect(mismatches).toEqual([]);
    }, 120_000);
  }

  it('the spelling and method rules hold (not only agree)', async () => {
    const stats = `/v1/client/allocation/${alloc}/stats`;
    for (const base of [gateway.url, agent.url]) {
      expect(await call(base, 'GET', stats.toUpperCase(), management)).toEqual({
        status: 404,
        body: 'resource not found',
      });
      expect(await call(base, 'GET', `${stats}/`, management)).toEqual({
        status: 404,
        body: 'resource not found',
      });
      expect(await call(base, 'GET', `/v1/client/fs/bogus/${alloc}`, management)).toEqual({
        status: 404,
        body: 'Invalid method',
      });
      expect(await call(base, 'GET', `/v1/allocation/${alloc}/stop`, management)).toEqual({
        status: 405,
        body: 'Invalid method',
      });
      expect(await call(base, 'DELETE', `/v1/client/metadata?node_id=${nodeId}`, management)).toEqual({
        status: 405,
        body: 'Invalid method',
      });
      const head = await call(base, 'HEAD', `/v1/client/metadata?node_id=${nodeId}`, management);
      expect(head).toEqual({ status: 200, body: '' });
      // Parameters before the token, the token before the lookup.
      expect(await call(base, 'GET', `/v1/client/fs/stat/${randomUUID()}`, 'not-a-token')).toMatchObject({
        status: 400,
        body: 'must provide a file name',
      });
      expect(
        await call(base, 'GET', `/v1/client/fs/stat/${randomUUID()}?path=x`, 'not-a-token'),
      ).toMatchObject({
        status: 403,
      });
      const unknown = randomUUID();
      expect(await call(base, 'GET', `/v1/client/fs/stat/${unknown}?path=x`, powerless)).toEqual({
        status: 404,
        body: `Unknown allocation "${unknown}"`,
      });
    }
  });

  it("Nomad's Go client shapes: stop is PUT with ?namespace=default, GC is GET", async () => {
    for (const base of [gateway.url, agent.url]) {
      const stop = await call(base, 'PUT', `/v1/allocation/${victim}/stop?namespace=default`, management);
      expect(stop.status).toBe(200);
      expect(JSON.parse(stop.body)).toEqual({ EvalID: expect.any(String), Index: 0 });
      const gc = await call(base, 'GET', `/v1/client/allocation/${alloc}/gc?namespace=default`, management);
      // The allocation is still running: not eligible, as Nomad answers.
      expect(gc).toEqual({
        status: 500,
        body: 'No such allocation on client, or allocation not eligible for GC',
      });
      const all = await call(base, 'GET', `/v1/client/gc?node_id=${nodeId}&namespace=default`, management);
      expect(all).toEqual({ status: 200, body: '' });
    }
  });
});

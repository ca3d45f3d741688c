import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import {
  createAuthenticator,
  createSigner,
  generateEs256KeyPair,
  parseKeyMaterial,
  type AclAuthenticator,
} from '../../src/acl';
import { startAgent, type RunningAgent } from '../../src/agent/agent';
import { listen } from '../../src/cli/commands/gateway-serve';
import { AgentConfigSchema } from '../../src/config/agent';
import { validate } from '../../src/config/sources';
import { RemoteForwarder } from '../../src/forward/remote';
import { createMetrics } from '../../src/log/metrics';
import { MemoryRegistry } from '../../src/registry/memory';
import { createAclApi } from '../../src/router/acl-api';
import { createGatewayApp } from '../../src/router/app';
import { asAllocId, asNodeId } from '../../src/wire';
import { rawExchange } from '../helpers/raw-http';
import { seedAlloc, type SeededAlloc } from '../helpers/seed-alloc';
import { tmpDir } from '../helpers/tmp';
import { sleep } from '../helpers/eventually';

/**
 * The rest of the edge: bounded request times at both roles (streams unaffected), no body read
 * before authentication, the agent's own endpoints behind a token, streaming headers at once
 * through the gateway, and the small wire fixes (status and message of each).
 */

const LIMITS = { headersTimeoutMs: 400, requestTimeoutMs: 800 };
/** A client that stalls is released within the limit plus Node's check interval; generous slack. */
const RELEASED_WITHIN_MS = 3000;

const key = parseKeyMaterial(generateEs256KeyPair().privateKeyPem);
const signer = createSigner(key);

let t: ReturnType<typeof tmpDir>;
let registry: MemoryRegistry;
let agentAuth: AclAuthenticator;
let gwAuth: AclAuthenticator;
let agent: RunningAgent;
let gateway: http.Server;
let gwPort: number;
let agentPort: number;
let fwd: RemoteForwarder;
let alloc: SeededAlloc;
const logLines: string[] = [];
const tokens = { mgmt: '', nodeRead: '', fsOnly: '' };

const client = (policy: string): string =>
  signer.sign({ accessorId: randomUUID(), type: 'client', policies: [policy], ttlMs: 3_600_000 }).token;

beforeAll(async () => {
  t = tmpDir();
  registry = new MemoryRegistry();
  await registry.putPolicy({
    Name: 'nr',
    Description: '',
    Rules: JSON.stringify({ node: { policy: 'read' } }),
  });
  await registry.putPolicy({
    Name: 'fs',
    Description: '',
    Rules: JSON.stringify({ namespace: { default: { capabilities: ['read-fs', 'read-logs'] } } }),
  });
  tokens.mgmt = signer.sign({ accessorId: randomUUID(), type: 'management' }).token;
  tokens.nodeRead = client('nr');
  tokens.fsOnly = client('fs');
  agentAuth = createAuthenticator({ keyMaterial: key, registry });
  gwAuth = createAuthenticator({ keyMaterial: key, registry });
  const dataDir = path.join(t.dir, 'data');
  agent = await startAgent(
    validate(AgentConfigSchema, { http_addr: '127.0.0.1:0', data_dir: dataDir, node_name: 'n1' }),
    { authenticator: agentAuth, limits: LIMITS },
  );
  agentPort = (agent.server.address() as AddressInfo).port;
  alloc = seedAlloc(dataDir);
  fs.writeFileSync(path.join(alloc.logsDir, 'web.stdout.0'), 'already there\n');
  await registry.putNode(
    {
      ID: asNodeId(agent.nodeId),
      Name: 'n1',
      Datacenter: 'dc1',
      Meta: {},
      Version: '0.1.0',
      HTTPAddr: `127.0.0.1:${agentPort}`,
      AdvertiseURL: agent.url,
    },
    600_000,
  );
  await registry.putAlloc({
    ID: asAllocId(alloc.id),
    NodeID: asNodeId(agent.nodeId),
    Namespace: 'default',
    JobID: 'web',
    TaskGroup: 'web',
    Name: 'web.web[0]',
    Tasks: ['web'],
    ClientStatus: 'running',
    CreateTime: 1,
    ModifyTime: 1,
  });
  fwd = new RemoteForwarder();
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  const app = createGatewayApp({
    registry,
    forwarder: fwd,
    authenticator: gwAuth,
    logger: pino({ level: 'info' }, sink),
    aclApi: createAclApi({ registry, authenticator: gwAuth, signer }),
    metrics: createMetrics({ role: 'gateway', defaultMetrics: false }),
  });
  ({ server: gateway } = await listen(app, '127.0.0.1:0', { limits: LIMITS }));
  gwPort = (gateway.address() as AddressInfo).port;
  for (let i = 0; i < 100 && !agent.services.manifests.get(asAllocId(alloc.id)); i++) {
    await sleep(50);
  }
}, 30_000);

afterAll(async () => {
  gateway.closeAllConnections();
  await new Promise((r) => gateway.close(r));
  fwd.close();
  await agent.stop();
  agentAuth.close();
  gwAuth.close();
  t.cleanup();
});

const get = (
  port: number,
  p: string,
  token?: string,
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> =>
  new Promise((resolve, reject) => {
    http
      .get(
        { port, host: '127.0.0.1', path: p, agent: false, headers: token ? { 'X-Nomad-Token': token } : {} },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
        },
      )
      .on('error', reject);
  });

const send = (
  port: number,
  method: string,
  p: string,
  body: string,
  token?: string,
): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const req = http.request(
      {
        port,
        host: '127.0.0.1',
        method,
        path: p,
        agent: false,
        headers: { 'Content-Type': 'application/json', ...(token ? { 'X-Nomad-Token': token } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });

describe("the agent's own endpoints", () => {
  test('/v1/agent/self and /v1/metrics need node read; health stays open; no host path is shown', async () => {
    for (const p of ['/v1/agent/self', '/v1/metrics']) {
      expect((await get(agentPort, p)).status).toBe(403);
      expect((await get(agentPort, p, tokens.fsOnly)).status).toBe(403);
      expect((await get(agentPort, p, tokens.nodeRead)).status).toBe(200);
    }
    const self = await get(agentPort, '/v1/agent/self', tokens.nodeRead);
    expect(self.body).not.toContain(t.dir);
    expect(JSON.parse(self.body).config).not.toHaveProperty('DataDir');
    expect((await get(agentPort, '/v1/agent/health')).status).toBe(200);
  });

  test('/v1/metrics needs node read at the gateway exactly as at an agent; GET only', async () => {
    for (const [role, port] of [
      ['gateway', gwPort],
      ['agent', agentPort],
    ] as const) {
      const p = '/v1/metrics?format=prometheus';
      const answers = {
        role,
        none: (await get(port, p)).status,
        badToken: (await get(port, p, 'not-a-jwt')).status,
        fsOnly: await get(port, p, tokens.fsOnly),
        nodeRead: await get(port, p, tokens.nodeRead),
        post: await send(port, 'POST', p, '', tokens.mgmt),
      };
      expect({
        role,
        none: answers.none,
        badToken: answers.badToken,
        fsOnly: [answers.fsOnly.status, answers.fsOnly.body],
        nodeRead: answers.nodeRead.status,
        post: [answers.post.status, answers.post.body],
      }).toEqual({
        role,
        none: 403,
        badToken: 403,
        fsOnly: [403, 'Permission denied'],
        nodeRead: 200,
        post: [405, 'Invalid method'],
      });
      expect(answers.nodeRead.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(answers.nodeRead.body).toContain(
        `fleetgate_${role}_requests_total{route="metrics",status="403"}`,
      );
      expect(answers.nodeRead.body).not.toContain(alloc.id);
    }
  });
});

describe('bounded request times, both roles', () => {
  const stallBody = (p: string, token: string) =>
    `POST ${p} HTTP/1.1\r\nHost: x\r\nX-Nomad-Token: ${token}\r\nContent-Length: 100\r\n\r\n{"Meta":`;
  const metaPath = () => `/v1/client/metadata?node_id=${agent.nodeId}`;

  test.each([
    ['gateway', () => gwPort],
    ['agent', () => agentPort],
  ])('%s: a body that stalls is released within the limit', async (_n, port) => {
    const t0 = Date.now();
    const r = await rawExchange(port(), [stallBody(metaPath(), tokens.mgmt)], {
      maxMs: 10_000,
      quietMs: 10_000,
    });
    expect(r.closedByServer).toBe(true);
    expect(Date.now() - t0).toBeLessThan(RELEASED_WITHIN_MS);
    expect(r.statuses.every((s) => s === 408)).toBe(true);
  });

  test.each([
    ['gateway', () => gwPort],
    ['agent', () => agentPort],
  ])('%s: headers that stall are released within the limit', async (_n, port) => {
    const t0 = Date.now();
    const r = await rawExchange(port(), ['GET /v1/agent/health HTTP/1.1\r\nHost: x\r\n'], {
      maxMs: 10_000,
      quietMs: 10_000,
    });
    expect(r.closedByServer).toBe(true);
    expect(Date.now() - t0).toBeLessThan(RELEASED_WITHIN_MS);
  });

  test('a follow lasts longer than the request limit, through the gateway', async () => {
    const got = await new Promise<string>((resolve, reject) => {
      const req = http.get(
        {
          port: gwPort,
          host: '127.0.0.1',
          path: `/v1/client/fs/logs/${alloc.id}?task=web&type=stdout&follow=true&origin=start`,
          headers: { 'X-Nomad-Token': tokens.mgmt },
          agent: false,
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          setTimeout(() => {
            req.destroy();
            resolve(text);
          }, LIMITS.requestTimeoutMs * 3);
        },
      );
      req.on('error', reject);
    });
    // The data frame, then heartbeats for as long as it stayed open.
    expect(got).toContain(Buffer.from('already there\n').toString('base64'));
    expect((got.match(/\{\}/g) ?? []).length).toBeGreaterThanOrEqual(1);
  });
});

describe('no body is read before the caller is authenticated', () => {
  test.each([
    ['ACL API token create', '/v1/acl/token', ''],
    ['ACL API policy write', '/v1/acl/policy/p1', ''],
    ['POST metadata at the gateway', '/v1/client/metadata', 'nodeRead'],
  ])('%s: refused at once while the announced body never comes', async (_n, p, who) => {
    const token = who ? `X-Nomad-Token: ${tokens[who as 'nodeRead']}\r\n` : '';
    const r = await rawExchange(gwPort, [
      `POST ${p} HTTP/1.1\r\nHost: x\r\n${token}Content-Length: 1000000\r\n\r\n{"Name":`,
    ]);
    expect(r.statuses[0]).toBe(403);
  });
});

describe('streaming headers at once through the gateway (idle followed log)', () => {
  test.each([
    ['framed', ''],
    ['plain', '&plain=true'],
  ])('%s: headers well before any data or heartbeat', async (_n, extra) => {
    const once = () =>
      new Promise<number>((resolve, reject) => {
        const t0 = process.hrtime.bigint();
        const req = http.get(
          {
            port: gwPort,
            host: '127.0.0.1',
            path: `/v1/client/fs/logs/${alloc.id}?task=web&type=stdout&follow=true&origin=end${extra}`,
            headers: { 'X-Nomad-Token': tokens.mgmt },
          },
          (res) => {
            const ms = Number(process.hrtime.bigint() - t0) / 1e6;
            expect(res.statusCode).toBe(200);
            req.destroy();
            resolve(ms);
          },
        );
        req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
      });
    // The bound promised is 50 ms; the best of five absorbs a loaded machine (without the flush
    // the headers wait for the first heartbeat, 1 s, or forever in plain mode).
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push(await once());
    expect(Math.min(...times)).toBeLessThan(50);
  });
});

describe('wire fixes', () => {
  test('a malformed percent-escape in the path is 400 at both roles, not 500', async () => {
    for (const port of [gwPort, agentPort]) {
      const r = await get(port, '/v1/client/fs/cat/%E0%A4%A', tokens.mgmt);
      expect([r.status, r.body]).toEqual([400, 'invalid URL escape in request path']);
    }
    expect(logLines.filter((l) => l.includes('"level":50'))).toEqual([]);
  });

  test('a repeated ?path= is served and audited with its first value', async () => {
    const r = await get(
      gwPort,
      `/v1/client/fs/stat/${alloc.id}?path=alloc/logs&path=alloc/data`,
      tokens.mgmt,
    );
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).Name).toBe('logs');
    const audit = logLines
      .map((l) => JSON.parse(l) as { file?: string; path?: string })
      .filter((l) => l.file);
    expect(audit.pop()).toMatchObject({ file: 'alloc/logs' });
  });

  test('a token put in the query string is not logged', async () => {
    await get(
      gwPort,
      `/v1/client/stats?node_id=${agent.nodeId}&token=S3CRET-VALUE&X-Nomad-Token=S3CRET-TWO`,
      tokens.mgmt,
    );
    const line = logLines.find((l) => l.includes('token=[redacted]'));
    expect(line).toBeDefined();
    expect(logLines.join('\n')).not.toMatch(/S3CRET/);
  });

  test('null for a key named like an Object member removes nothing and leaves no tombstone', async () => {
    const r = await send(
      gwPort,
      'POST',
      `/v1/client/metadata?node_id=${agent.nodeId}`,
      JSON.stringify({ Meta: { constructor: null, valueOf: null, toString: null } }),
      tokens.mgmt,
    );
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).Dynamic).toEqual({});
    const onDisk = fs.readFileSync(path.join(t.dir, 'data/client/meta.json'), 'utf8');
    expect(onDisk).not.toMatch(/constructor|valueOf|toString/);
  });

  test('an ACL rule named __proto__ is refused, as a stored policy and as inline token rules', async () => {
    const rules = '{"namespace":{"__proto__":{"policy":"write"}}}';
    const p = await send(
      gwPort,
      'PUT',
      '/v1/acl/policy/proto',
      JSON.stringify({ Rules: rules }),
      tokens.mgmt,
    );
    expect(p.status).toBe(400);
    expect(p.body).toContain('invalid namespace name "__proto__"');
    const tk = await send(
      gwPort,
      'PUT',
      '/v1/acl/token',
      JSON.stringify({ Type: 'client', Rules: rules, ExpirationTTL: '1h' }),
      tokens.mgmt,
    );
    expect(tk.status).toBe(400);
    expect(tk.body).toContain('invalid namespace name "__proto__"');
  });

  test.each([['99999999999h'], [1e30]])(
    'ExpirationTTL %p is 400 before anything is signed or recorded',
    async (ttl) => {
      const r = await send(
        gwPort,
        'PUT',
        '/v1/acl/token',
        JSON.stringify({ Type: 'client', Policies: ['nr'], ExpirationTTL: ttl }),
        tokens.mgmt,
      );
      expect([r.status, r.body]).toEqual([400, 'ExpirationTTL must be at most 87600h (10 years)']);
    },
  );

  test('DELETE /v1/acl/token/* is 400: an accessor ID is a UUID', async () => {
    const r = await send(gwPort, 'DELETE', '/v1/acl/token/*', '', tokens.mgmt);
    expect([r.status, r.body]).toEqual([400, 'invalid token accessor ID "*": must be a UUID']);
  });
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { aclDisabled } from '../../src/acl/disabled';
import type { Acl, Authenticator, Identity } from '../../src/acl/types';
import { startAgent, type RunningAgent } from '../../src/agent/agent';
import { listen } from '../../src/cli/commands/gateway-serve';
import { AgentConfigSchema } from '../../src/config/agent';
import { validate } from '../../src/config/sources';
import type { Forwarder } from '../../src/forward/forwarder';
import { RemoteForwarder } from '../../src/forward/remote';
import { silentLogger } from '../../src/log/logger';
import { MemoryRegistry } from '../../src/registry/memory';
import { createGatewayApp } from '../../src/router/app';
import { asAllocId, asNodeId } from '../../src/wire';
import { chunked, rawExchange } from '../helpers/raw-http';
import { seedAlloc, type SeededAlloc } from '../helpers/seed-alloc';
import { tmpDir } from '../helpers/tmp';
import { sleep } from '../helpers/eventually';

/**
 * Request smuggling through the gateway and straight at an agent: every malformed or
 * body-carrying framing on a body-less row is refused, nothing the gateway did not authorize
 * ever runs at the agent, and the next user (fresh socket) always gets their own answer.
 */

const nodeReadOnly: Acl = {
  management: false,
  // read-fs in default only: enough to carry a smuggled request on every fs/* row.
  allowNamespaceOp: (ns, cap) => ns === 'default' && cap === 'read-fs',
  allowNodeRead: () => true,
  allowNodeWrite: () => false,
};
/** "weak": node:read (+ read-fs); "victim": everything (the next user); anything else: 403. */
const auth: Authenticator = {
  enabled: true,
  authenticate: async (t): Promise<Identity> => {
    if (t === 'victim') return aclDisabled.authenticate(t);
    if (t === 'weak') return { accessorId: 'weak', type: 'client', acl: nodeReadOnly };
    throw Object.assign(new Error('ACL token not found'), { status: 403 });
  },
};

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

let t: ReturnType<typeof tmpDir>;
let agent: RunningAgent;
let gateway: http.Server;
let gwPort: number;
let agentPort: number;
let fwd: RemoteForwarder;
let prod: SeededAlloc;
let other: SeededAlloc;
/** Every request the agent's HTTP server parsed (smuggled ones included). */
const agentSeen: Seen[] = [];
/** Every request the gateway authorized and handed to its forwarder (which may still refuse it). */
const forwarded: string[] = [];

beforeAll(async () => {
  t = tmpDir();
  const dataDir = path.join(t.dir, 'data');
  agent = await startAgent(
    validate(AgentConfigSchema, { http_addr: '127.0.0.1:0', data_dir: dataDir, node_name: 'n1' }),
  );
  agent.server.prependListener('request', (req: http.IncomingMessage) => {
    agentSeen.push({ method: req.method!, url: req.url!, headers: req.headers });
  });
  agentPort = (agent.server.address() as AddressInfo).port;
  prod = seedAlloc(dataDir, { job: 'prod' });
  other = seedAlloc(dataDir, { job: 'other' });
  const reg = new MemoryRegistry();
  await reg.putNode(
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
  for (const a of [prod, other]) {
    await reg.putAlloc({
      ID: asAllocId(a.id),
      NodeID: asNodeId(agent.nodeId),
      Namespace: 'default',
      JobID: 'j',
      TaskGroup: 'g',
      Name: 'j.g[0]',
      Tasks: ['web'],
      ClientStatus: 'running',
      CreateTime: 1,
      ModifyTime: 1,
    });
  }
  fwd = new RemoteForwarder({ connectTimeoutMs: 2000 });
  const recording: Forwarder = {
    forward: (req, res, node, route, body) => {
      forwarded.push(`${req.method} ${req.url}`);
      return fwd.forward(req, res, node, route, body);
    },
  };
  const app = createGatewayApp({
    registry: reg,
    forwarder: recording,
    authenticator: auth,
    logger: silentLogger(),
  });
  ({ server: gateway } = await listen(app, '127.0.0.1:0'));
  gwPort = (gateway.address() as AddressInfo).port;
  // The agent adopts seeded manifests within a second.
  for (let i = 0; i < 100 && agent.services.manifests.get(asAllocId(other.id)) === undefined; i++) {
    await sleep(50);
  }
}, 30_000);

afterAll(async () => {
  gateway.closeAllConnections();
  await new Promise((r) => gateway.close(r));
  fwd.close();
  await agent.stop();
  t.cleanup();
});

/** The next user: a well-formed request on a fresh socket, which must get its own answer. */
const victimLs = (port: number): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    http
      .get(
        {
          port,
          host: '127.0.0.1',
          path: `/v1/client/fs/ls/${prod.id}?path=/`,
          headers: { 'X-Nomad-Token': 'victim' },
          agent: false,
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        },
      )
      .on('error', reject);
  });

const expectOwnLsAnswer = async (port: number) => {
  // Twice: the first may reuse the gateway's pooled upstream socket, the second surely does.
  for (let i = 0; i < 2; i++) {
    const r = await victimLs(port);
    expect(r.status).toBe(200);
    const names = (JSON.parse(r.body) as Array<{ Name: string }>).map((e) => e.Name);
    expect(names).toContain('alloc');
  }
};

/** A request prefix left open so that whatever comes next on the socket becomes its header. */
const smuggledStop = () =>
  `POST /v1/allocation/${prod.id}/stop HTTP/1.1\r\nHost: x\r\nX-Nomad-Token: victim\r\nX-Ignore: `;
const smuggledGc = () => `GET /v1/client/allocation/${other.id}/gc HTTP/1.1\r\nHost: x\r\nX-Ignore: `;

const nothingUnauthorizedReachedTheAgent = () => {
  for (const s of agentSeen) {
    expect(s.url).not.toMatch(/\/stop|\/gc/);
  }
};

type Case = [name: string, raw: (target: string) => string];
const h = (method: string, target: string, extra: string, version = '1.1') =>
  `${method} ${target} HTTP/${version}\r\nHost: x\r\nX-Nomad-Token: weak\r\n${extra}`;

/** Framings a body-less row must refuse (or at least never pass on), whatever the method. */
const CASES: Case[] = [
  [
    'OPTIONS + chunked body (the reported attack)',
    (p) => h('OPTIONS', p, 'Transfer-Encoding: chunked\r\n\r\n') + chunked(smuggledStop()),
  ],
  [
    'DELETE + chunked body',
    (p) => h('DELETE', p, 'Transfer-Encoding: chunked\r\n\r\n') + chunked(smuggledGc()),
  ],
  [
    'GET + Content-Length body',
    (p) => {
      const b = smuggledStop();
      return h('GET', p, `Content-Length: ${b.length}\r\n\r\n`) + b;
    },
  ],
  [
    'PUT + Content-Length body',
    (p) => {
      const b = smuggledGc();
      return h('PUT', p, `Content-Length: ${b.length}\r\n\r\n`) + b;
    },
  ],
  [
    'POST + chunked body on an ANY row',
    (p) => h('POST', p, 'Transfer-Encoding: chunked\r\n\r\n') + chunked(smuggledStop()),
  ],
  [
    'CL + TE',
    (p) => {
      const b = chunked(smuggledStop());
      return h('OPTIONS', p, `Content-Length: ${b.length}\r\nTransfer-Encoding: chunked\r\n\r\n`) + b;
    },
  ],
  [
    'TE + TE (two headers)',
    (p) =>
      h('OPTIONS', p, 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n') +
      chunked(smuggledStop()),
  ],
  [
    'TE: chunked, chunked',
    (p) => h('OPTIONS', p, 'Transfer-Encoding: chunked, chunked\r\n\r\n') + chunked(smuggledStop()),
  ],
  [
    'TE: gzip, chunked',
    (p) => h('OPTIONS', p, 'Transfer-Encoding: gzip, chunked\r\n\r\n') + chunked(smuggledStop()),
  ],
  ['TE: identity', (p) => h('OPTIONS', p, 'Transfer-Encoding: identity\r\n\r\n') + smuggledStop()],
  [
    'TE with a space before the colon',
    (p) => h('OPTIONS', p, 'Transfer-Encoding : chunked\r\n\r\n') + chunked(smuggledStop()),
  ],
  [
    'TE: Chunked (case)',
    (p) => h('OPTIONS', p, 'Transfer-Encoding: Chunked\r\n\r\n') + chunked(smuggledStop()),
  ],
  [
    'TE on HTTP/1.0',
    (p) => h('OPTIONS', p, 'Transfer-Encoding: chunked\r\n\r\n', '1.0') + chunked(smuggledStop()),
  ],
  [
    'duplicate Content-Length (same value)',
    (p) => {
      const b = smuggledStop();
      return h('GET', p, `Content-Length: ${b.length}\r\nContent-Length: ${b.length}\r\n\r\n`) + b;
    },
  ],
  [
    'duplicate Content-Length (different values)',
    (p) => {
      const b = smuggledStop();
      return h('GET', p, `Content-Length: 0\r\nContent-Length: ${b.length}\r\n\r\n`) + b;
    },
  ],
  [
    'Content-Length: 0, N',
    (p) => {
      const b = smuggledStop();
      return h('GET', p, `Content-Length: 0, ${b.length}\r\n\r\n`) + b;
    },
  ],
  [
    'obs-fold Transfer-Encoding',
    (p) => h('OPTIONS', p, 'Transfer-Encoding: x\r\n chunked\r\n\r\n') + chunked(smuggledStop()),
  ],
  [
    'bare LF line ends',
    (p) => h('OPTIONS', p, 'Transfer-Encoding: chunked\n\n').replace(/\r\n/g, '\n') + chunked(smuggledStop()),
  ],
  [
    'chunk-size overflow',
    (p) =>
      h('OPTIONS', p, 'Transfer-Encoding: chunked\r\n\r\n') +
      `1${'0'.repeat(16)}\r\n${smuggledStop()}\r\n0\r\n\r\n`,
  ],
  [
    'negative chunk size',
    (p) => h('OPTIONS', p, 'Transfer-Encoding: chunked\r\n\r\n') + `-1\r\n${smuggledStop()}\r\n0\r\n\r\n`,
  ],
];

const ROWS = () => [
  `/v1/client/stats?node_id=${agent.nodeId}`,
  `/v1/client/fs/ls/${prod.id}?path=/`,
  `/v1/client/fs/cat/${prod.id}?path=alloc/logs/none`,
];

describe('through the gateway', () => {
  test('the reported attack: a smuggled stop never runs and never absorbs the next user', async () => {
    const row = `/v1/client/stats?node_id=${agent.nodeId}`;
    await rawExchange(gwPort, [
      h('OPTIONS', row, 'Transfer-Encoding: chunked\r\n\r\n') + chunked(smuggledStop()),
    ]);
    const r = await victimLs(gwPort);
    expect(r.body).not.toContain('EvalID');
    expect(r.status).toBe(200);
    nothingUnauthorizedReachedTheAgent();
  });

  test.each(CASES)(
    '%s: refused, never forwarded, the next user is answered correctly',
    async (_name, raw) => {
      for (const row of ROWS()) {
        const before = agentSeen.length;
        const r = await rawExchange(gwPort, [raw(row)]);
        // Refused at the edge: 400 (or 403/404 before the row is reached), never a 2xx, and the
        // connection is not kept for a request that follows the anomaly.
        expect(r.statuses[0]).toBeGreaterThanOrEqual(400);
        expect(r.statuses[0]).toBeLessThan(500);
        expect(r.statuses).toHaveLength(1);
        expect(agentSeen.length).toBe(before);
        await expectOwnLsAnswer(gwPort);
        nothingUnauthorizedReachedTheAgent();
      }
    },
  );

  test('every request the agent parsed is one the gateway authorized', () => {
    const authorized = [...forwarded];
    for (const s of agentSeen) {
      const i = authorized.indexOf(`${s.method} ${s.url}`);
      expect(i).toBeGreaterThanOrEqual(0);
      authorized.splice(i, 1);
    }
  });

  test('pipelined well-formed requests are answered in order; a smuggling attempt in the pipe ends it', async () => {
    const ok = h('GET', `/v1/client/stats?node_id=${agent.nodeId}`, '\r\n');
    const r1 = await rawExchange(gwPort, [ok + ok + ok]);
    expect(r1.statuses).toEqual([200, 200, 200]);
    const bad =
      h('OPTIONS', `/v1/client/stats?node_id=${agent.nodeId}`, 'Transfer-Encoding: chunked\r\n\r\n') +
      chunked(smuggledStop());
    const r2 = await rawExchange(gwPort, [ok + bad + ok]);
    expect(r2.statuses).toEqual([200, 400]);
    expect(r2.closedByServer).toBe(true);
    await expectOwnLsAnswer(gwPort);
    nothingUnauthorizedReachedTheAgent();
  });

  test('a chunked POST metadata reaches the agent with exactly one framing header (Content-Length)', async () => {
    const body = JSON.stringify({ NodeID: agent.nodeId, Meta: { rack: 'r9' } });
    const raw =
      `POST /v1/client/metadata HTTP/1.1\r\nHost: x\r\nX-Nomad-Token: victim\r\nTransfer-Encoding: chunked\r\n\r\n` +
      chunked(body);
    const r = await rawExchange(gwPort, [raw]);
    expect(r.statuses).toEqual([200]);
    const last = agentSeen
      .filter((s) => s.method === 'POST' && s.url.startsWith('/v1/client/metadata'))
      .pop()!;
    expect(last.headers['transfer-encoding']).toBeUndefined();
    expect(last.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    await expectOwnLsAnswer(gwPort);
  });

  test('Expect: 100-continue on POST metadata: 100 after the token is checked, then the answer', async () => {
    const body = JSON.stringify({ NodeID: agent.nodeId, Meta: { rack: 'r8' } });
    const head =
      `POST /v1/client/metadata HTTP/1.1\r\nHost: x\r\nX-Nomad-Token: victim\r\n` +
      `Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`;
    const r = await rawExchange(gwPort, [head, body], { gapMs: 300, quietMs: 3000 });
    expect(r.statuses).toEqual([100, 200]);
    expect(r.text).toContain('"rack":"r8"');
    // A caller who may not write gets 403 without ever being told to send the body.
    const weak = head.replace('X-Nomad-Token: victim', 'X-Nomad-Token: weak');
    const w = await rawExchange(gwPort, [weak]);
    expect(w.statuses).toEqual([403]);
  });
});

describe('straight at an agent', () => {
  test.each(CASES)(
    '%s: refused, nothing smuggled runs, the next user is answered correctly',
    async (_name, raw) => {
      for (const row of ROWS()) {
        const r = await rawExchange(agentPort, [raw(row)]);
        expect(r.statuses[0]).toBe(400);
        expect(r.statuses).toHaveLength(1);
        await expectOwnLsAnswer(agentPort);
        nothingUnauthorizedReachedTheAgent();
      }
    },
  );
});

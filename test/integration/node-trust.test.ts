import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { CLI, startFleetgate, type FleetgateProcess } from '../helpers/fleetgate-process';
import { freePort } from '../helpers/ports';
import { joinTokenFile } from '../helpers/join';
import { startRedis, type RedisServer } from '../helpers/redis';
import { seedAlloc } from '../helpers/seed-alloc';
import { tmpDir } from '../helpers/tmp';
import { eventually, sleep } from '../helpers/eventually';

/**
 * One node cannot take over the fleet. Real processes: Redis, a gateway with ACLs, two agents
 * that hold no Redis URL — only the gateway's address and a join token. Each attack of a node
 * that controls its own agent (its node secret, its data directory) is tried and refused.
 */
const run = promisify(execFile);

interface Reply {
  status: number;
  text: string;
}
const call = async (
  url: string,
  init: { method?: string; token?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<Reply> => {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.token ? { 'X-Nomad-Token': init.token } : {}),
      ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...init.headers,
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: res.status, text: await res.text() };
};

describe('trust boundary: agents register through the gateway and can change only their own records', () => {
  let redis: RedisServer;
  let gateway: FleetgateProcess;
  let gwPort: number;
  let gwArgs: string[];
  const agents: FleetgateProcess[] = [];
  const t = tmpDir();
  let mgmt: string;
  let join: string;
  let d1: string;
  let d2: string;
  let node1: string;
  let node2: string;
  let secret2: string;
  let alloc1: ReturnType<typeof seedAlloc>;

  const agentArgs = (dir: string, name: string, extra: string[] = []) => [
    'agent',
    '--http-addr',
    '127.0.0.1:0',
    '--data-dir',
    dir,
    '--node-name',
    name,
    '--gateway',
    `http://127.0.0.1:${gwPort}`,
    '--join-token',
    join,
    '--heartbeat-interval-ms',
    '300',
    '--acl',
    '--acl-max-stale-ms',
    '1500',
    ...extra,
  ];

  beforeAll(async () => {
    redis = await startRedis();
    await run(process.execPath, [CLI, 'acl', 'keygen', '--out', path.join(t.dir, 'keys')]);
    gwPort = await freePort();
    gwArgs = [
      'gateway',
      '--http-addr',
      `127.0.0.1:${gwPort}`,
      '--redis',
      redis.url,
      '--acl',
      '--acl-key',
      path.join(t.dir, 'keys/acl-private.pem'),
    ];
    gateway = await startFleetgate(gwArgs);
    const boot = await call(`${gateway.url}/v1/acl/bootstrap`, { method: 'POST' });
    mgmt = (JSON.parse(boot.text) as { SecretID: string }).SecretID;
    join = await joinTokenFile(gateway.url, t.dir, mgmt);
    d1 = path.join(t.dir, 'n1');
    d2 = path.join(t.dir, 'n2');
    fs.mkdirSync(d1);
    fs.mkdirSync(d2);
    alloc1 = seedAlloc(d1, { job: 'real' });
    fs.writeFileSync(path.join(alloc1.logsDir, 'web.stdout.0'), 'the real content\n');
    // No --acl-key: the agents take the verification key from the gateway.
    agents.push(await startFleetgate(agentArgs(d1, 'n1')), await startFleetgate(agentArgs(d2, 'n2')));
    node1 = fs.readFileSync(path.join(d1, 'client/node-id'), 'utf8').trim();
    node2 = fs.readFileSync(path.join(d2, 'client/node-id'), 'utf8').trim();
    await eventually(
      async () => {
        const a = await call(`${gateway.url}/v1/allocation/${alloc1.id}`, { token: mgmt });
        const n2 = await call(`${gateway.url}/v1/node/${node2}`, { token: mgmt });
        return a.status === 200 && n2.status === 200;
      },
      10_000,
      'both nodes and the allocation registered',
    );
    secret2 = fs.readFileSync(path.join(d2, 'client/secret-id'), 'utf8').trim();
  }, 90_000);

  afterAll(async () => {
    for (const a of agents) await a.stop('SIGKILL');
    await gateway?.stop('SIGKILL');
    await redis?.stop();
    t.cleanup();
  });

  const ownerOf = async (allocId: string): Promise<string> =>
    (
      JSON.parse((await call(`${gateway.url}/v1/allocation/${allocId}`, { token: mgmt })).text) as {
        NodeID: string;
      }
    ).NodeID;
  const catReal = async (): Promise<Reply> =>
    call(`${gateway.url}/v1/client/fs/cat/${alloc1.id}?path=alloc/logs/web.stdout.0`, { token: mgmt });

  test('a fresh node joins without a warning: its ACL watch starts once the gateway knows it', async () => {
    for (const a of agents) {
      expect(a.output()).not.toContain('ACL watch: no gateway answers');
      expect(a.output()).not.toContain('no ACL state from a gateway yet');
    }
  });

  test('an agent is refused a Redis URL, and stores its node secret readable only by itself', async () => {
    const r = await run(process.execPath, [CLI, 'agent', '--data-dir', d2, '--redis', redis.url]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((r as { code: number }).code).not.toBe(0);
    expect(fs.statSync(path.join(d2, 'client/secret-id')).mode & 0o077).toBe(0);
    const cfg = await run(process.execPath, [
      CLI,
      'agent',
      '--config',
      writeJson({ data_dir: d2, redis: redis.url }),
    ]).catch((e: { code: number; stderr: string }) => e);
    expect((cfg as { code: number }).code).toBe(2);
    expect((cfg as { stderr: string }).stderr).toMatch(/agents no longer talk to Redis/);
  });

  const writeJson = (v: unknown): string => {
    const f = path.join(t.dir, `cfg-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(f, JSON.stringify(v));
    return f;
  };

  test('registration without a valid join token, or as another node, is refused', async () => {
    const node = {
      ID: node1,
      Name: 'rogue',
      Datacenter: 'dc1',
      HTTPAddr: '127.0.0.1:1',
      AdvertiseURL: 'http://127.0.0.1:1',
      Meta: {},
      Version: '1',
    };
    const asNode1 = await call(`${gateway.url}/v1/internal/node/${node1}/register`, {
      method: 'PUT',
      headers: {
        'X-Fleetgate-Node-Secret': secret2,
        'X-Fleetgate-Join-Token': fs.readFileSync(join, 'utf8').trim(),
      },
      body: { Node: node, TTLMs: 60_000 },
    });
    expect(asNode1.status).toBe(403);
    const fresh = { ...node, ID: '11111111-2222-4333-8444-555555555555' };
    const badJoin = await call(`${gateway.url}/v1/internal/node/${fresh.ID}/register`, {
      method: 'PUT',
      headers: { 'X-Fleetgate-Join-Token': 'nope.nope' },
      body: { Node: fresh, TTLMs: 60_000 },
    });
    expect(badJoin.status).toBe(403);
    const ssrf = await call(`${gateway.url}/v1/internal/node/${fresh.ID}/register`, {
      method: 'PUT',
      headers: { 'X-Fleetgate-Join-Token': fs.readFileSync(join, 'utf8').trim() },
      body: { Node: { ...fresh, AdvertiseURL: 'http://127.0.0.1:1/admin?x=' }, TTLMs: 60_000 },
    });
    expect(ssrf.status).toBe(400);
    expect((await catReal()).text).toBe('the real content\n');
  });

  test("a node cannot take another node's allocation by record, nor deregister it", async () => {
    const manifest = JSON.parse(
      fs.readFileSync(path.join(d1, `client/allocs/${alloc1.id}.json`), 'utf8'),
    ) as object;
    const put = await call(`${gateway.url}/v1/internal/node/${node2}/allocs`, {
      method: 'PUT',
      headers: { 'X-Fleetgate-Node-Secret': secret2 },
      body: { Allocs: [manifest], Complete: false },
    });
    expect(put.status).toBe(200);
    expect(JSON.parse(put.text)).toEqual({ Refused: [alloc1.id] });
    const del = await call(`${gateway.url}/v1/internal/node/${node2}/allocs/${alloc1.id}`, {
      method: 'DELETE',
      headers: { 'X-Fleetgate-Node-Secret': secret2 },
    });
    expect(del.status).toBe(200);
    // Node 2's secret does not open node 1's records.
    const other = await call(`${gateway.url}/v1/internal/node/${node1}/allocs/${alloc1.id}`, {
      method: 'DELETE',
      headers: { 'X-Fleetgate-Node-Secret': secret2 },
    });
    expect(other.status).toBe(403);
    expect(await ownerOf(alloc1.id)).toBe(node1);
    expect((await catReal()).text).toBe('the real content\n');
  });

  test("a foreign manifest dropped into a node's data dir does not move the allocation, and its removal does not deregister it", async () => {
    fs.mkdirSync(path.join(d2, 'client/allocs'), { recursive: true });
    fs.mkdirSync(path.join(d2, 'alloc', alloc1.id, 'alloc/logs'), { recursive: true });
    fs.writeFileSync(path.join(d2, 'alloc', alloc1.id, 'alloc/logs/web.stdout.0'), 'forged\n');
    const foreign = path.join(d2, `client/allocs/${alloc1.id}.json`);
    fs.copyFileSync(path.join(d1, `client/allocs/${alloc1.id}.json`), foreign);
    await eventually(
      async () => agents[1]!.output().includes('another node holds this ID'),
      10_000,
      'the rogue agent logged the refusal',
    );
    expect(await ownerOf(alloc1.id)).toBe(node1);
    expect((await catReal()).text).toBe('the real content\n');
    fs.rmSync(foreign);
    await sleep(1500); // the manifest scan runs twice a second; its removal is pushed at once
    expect(await ownerOf(alloc1.id)).toBe(node1);
  });

  test("forwarded requests carry a node assertion instead of the caller's token; replayed to another node or the gateway it is refused", async () => {
    // A rogue node: a plain HTTP server, admitted with the join token, that keeps what it receives.
    const seen: http.IncomingHttpHeaders[] = [];
    const rogue = http.createServer((req, res) => {
      seen.push(req.headers);
      res.end('rogue\n');
    });
    await new Promise<void>((r) => rogue.listen(0, '127.0.0.1', r));
    try {
      const port = (rogue.address() as AddressInfo).port;
      const rogueId = randomUUID();
      const rogueAlloc = randomUUID();
      const asRogue = { 'X-Fleetgate-Node-Secret': 'r'.repeat(43) };
      const reg = await call(`${gateway.url}/v1/internal/node/${rogueId}/register`, {
        method: 'PUT',
        headers: { ...asRogue, 'X-Fleetgate-Join-Token': fs.readFileSync(join, 'utf8').trim() },
        body: {
          Node: {
            ID: rogueId,
            Name: 'rogue',
            Datacenter: 'dc1',
            HTTPAddr: `127.0.0.1:${port}`,
            AdvertiseURL: `http://127.0.0.1:${port}`,
            Meta: {},
            Version: '1',
          },
          TTLMs: 60_000,
        },
      });
      expect(reg.status).toBe(200);
      const manifest = JSON.parse(
        fs.readFileSync(path.join(d1, `client/allocs/${alloc1.id}.json`), 'utf8'),
      ) as {
        ID: string;
      };
      const put = await call(`${gateway.url}/v1/internal/node/${rogueId}/allocs`, {
        method: 'PUT',
        headers: asRogue,
        body: { Allocs: [{ ...manifest, ID: rogueAlloc }], Complete: false },
      });
      expect(JSON.parse(put.text)).toEqual({ Refused: [] });
      const file = `path=alloc/logs/web.stdout.0`;
      const viaGateway = await call(`${gateway.url}/v1/client/fs/cat/${rogueAlloc}?${file}`, { token: mgmt });
      expect(viaGateway.text).toBe('rogue\n');
      const got = seen.at(-1)!;
      // The management token stayed at the gateway; the rogue got a short-lived assertion.
      expect(got['authorization']).toBeUndefined();
      const assertion = String(got['x-nomad-token']);
      expect(assertion).not.toBe(mgmt);
      expect(assertion.length).toBeGreaterThan(0);
      // Replayed to the real node (the same capability, in the same namespace) and to the gateway.
      const replayed = await call(`${agents[0]!.url}/v1/client/fs/cat/${alloc1.id}?${file}`, {
        token: assertion,
      });
      expect(replayed.status).toBe(403);
      expect(
        (await call(`${gateway.url}/v1/client/fs/cat/${alloc1.id}?${file}`, { token: assertion })).status,
      ).toBe(403);
      expect((await call(`${gateway.url}/v1/acl/policies`, { token: assertion })).status).toBe(403);
      // The real node still serves what the gateway forwards to it.
      expect((await catReal()).text).toBe('the real content\n');
    } finally {
      rogue.close();
    }
  });

  test("a node's secret gives no access to ACL state: policies, bootstrap and revocations stay the gateway's", async () => {
    const asNode = { 'X-Fleetgate-Node-Secret': secret2, Authorization: `Bearer ${secret2}` };
    const rules = JSON.stringify({ namespace: { '*': { policy: 'write' } }, node: { policy: 'write' } });
    expect(
      (
        await call(`${gateway.url}/v1/acl/policy/anonymous`, {
          method: 'POST',
          headers: asNode,
          body: { Rules: rules },
        })
      ).status,
    ).toBe(403);
    expect((await call(`${gateway.url}/v1/acl/bootstrap`, { method: 'POST', headers: asNode })).status).toBe(
      400,
    );
    expect(
      (await call(`${gateway.url}/v1/acl/token/whatever`, { method: 'DELETE', headers: asNode })).status,
    ).toBe(403);
    expect(
      (await call(`${gateway.url}/v1/acl/join-token`, { method: 'POST', headers: asNode, body: {} })).status,
    ).toBe(403);
    expect((await call(`${gateway.url}/v1/client/fs/ls/${alloc1.id}?path=/`)).status).toBe(403);
  });

  test('a revocation reaches the agent from the gateway within about a second', async () => {
    const policy = JSON.stringify({ namespace: { default: { capabilities: ['read-fs'] } } });
    await call(`${gateway.url}/v1/acl/policy/fs`, { method: 'POST', token: mgmt, body: { Rules: policy } });
    const tok = JSON.parse(
      (
        await call(`${gateway.url}/v1/acl/token`, {
          method: 'POST',
          token: mgmt,
          body: { Name: 'carol', Policies: ['fs'], ExpirationTTL: '1h' },
        })
      ).text,
    ) as { AccessorID: string; SecretID: string };
    const direct = () =>
      call(`${agents[0]!.url}/v1/client/fs/cat/${alloc1.id}?path=alloc/logs/web.stdout.0`, {
        token: tok.SecretID,
      });
    await eventually(async () => (await direct()).status === 200, 10_000, 'the agent knows the policy');
    expect(
      (await call(`${gateway.url}/v1/acl/token/${tok.AccessorID}`, { method: 'DELETE', token: mgmt })).status,
    ).toBe(200);
    const t0 = Date.now();
    await eventually(
      async () => (await direct()).status === 403,
      3000,
      'the agent refuses the revoked token',
    );
    expect(Date.now() - t0).toBeLessThan(2500); // 1 s target, slack for a loaded machine
  });

  test('an agent cut off from every gateway serves only management tokens after its limit, and recovers', async () => {
    const policy = JSON.stringify({ namespace: { default: { capabilities: ['read-fs'] } } });
    await call(`${gateway.url}/v1/acl/policy/fs2`, { method: 'POST', token: mgmt, body: { Rules: policy } });
    const tok = JSON.parse(
      (
        await call(`${gateway.url}/v1/acl/token`, {
          method: 'POST',
          token: mgmt,
          body: { Name: 'dave', Policies: ['fs2'], ExpirationTTL: '1h' },
        })
      ).text,
    ) as { SecretID: string };
    const url = `${agents[0]!.url}/v1/client/fs/cat/${alloc1.id}?path=alloc/logs/web.stdout.0`;
    await eventually(
      async () => (await call(url, { token: tok.SecretID })).status === 200,
      10_000,
      'the agent knows the policy',
    );
    await gateway.stop('SIGKILL');
    await eventually(
      async () => (await call(url, { token: tok.SecretID })).status === 503,
      8000,
      'stale: the client token is refused',
    );
    const refused = await call(url, { token: tok.SecretID });
    expect(refused.text).toMatch(/ACL state is stale/);
    expect((await call(url, { token: mgmt })).status).toBe(200);
    expect((await call(url)).status).toBe(503);

    gateway = await startFleetgate(gwArgs);
    await eventually(
      async () => (await call(url, { token: tok.SecretID })).status === 200,
      10_000,
      'fresh again',
    );
    await eventually(
      async () => {
        const n = JSON.parse((await call(`${gateway.url}/v1/node/${node1}`, { token: mgmt })).text) as {
          Status: string;
        };
        return n.Status === 'ready';
      },
      10_000,
      'node heartbeats again',
    );
  });
});

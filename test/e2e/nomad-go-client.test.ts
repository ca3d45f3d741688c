import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import type { z } from 'zod';
import { aclDisabled } from '../../src/acl/disabled';
import { startAgent, type RunningAgent } from '../../src/agent/agent';
import { loadAgentConfig } from '../../src/config/agent';
import { RemoteForwarder } from '../../src/forward/remote';
import { silentLogger } from '../../src/log/logger';
import { localLink } from '../../src/agent/registration/local-link';
import { NodeAdmission } from '../../src/registry/admission';
import { MemoryRegistry } from '../../src/registry/memory';
import { createGatewayApp } from '../../src/router/app';
import { allocation } from '../../src/router/read-shapes';
import { asAllocId, asNodeId, FrameDecoder, ManifestSchema, type ClientStatus } from '../../src/wire';
import * as api from '../helpers/nomad-api';
import { seedAlloc, type SeededAlloc } from '../helpers/seed-alloc';
import { tmpDir } from '../helpers/tmp';
import { eventually } from '../helpers/eventually';

/*
 * Golden requests: each call of Nomad's Go `api` client that fleetgate serves, as that client
 * puts it on the wire (recorded from api/api.go, api/nodes.go, api/allocations.go, api/fs.go,
 * api/node_meta.go): method, path, query in `url.Values.Encode` order (keys sorted, QueryEscape),
 * and its headers. The client here is configured the common way: NOMAD_NAMESPACE=default and a
 * token, no region. Calls it sends to the server go to the gateway; calls it sends straight to
 * the node (through a client built by GetNodeClient, which adds `region=global` and the
 * namespace) go to the agent at the node's HTTPAddr, and again to the gateway, where the client
 * falls back on a network error. Each answer is decoded with the Go struct's mirror.
 */

const TOKEN = 'c2VjcmV0LXRva2Vu';
const GO_HEADERS = { 'User-Agent': 'Go-http-client/1.1', 'Accept-Encoding': 'gzip', 'X-Nomad-Token': TOKEN };

type Decode = z.ZodType | 'frames' | 'bytes' | 'empty';
interface GoCall {
  call: string;
  /** Where the Go client sends it: the configured server, or the node directly. */
  to: 'server' | 'node';
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  query: Array<[string, string]>;
  body?: string;
  decode: Decode;
  /** Response is a JSON array of `decode`. */
  list?: boolean;
}

/** A stream the Go client reads until it cancels: we stop after the first data frame. */
const isFollowed = (c: GoCall) =>
  c.decode === 'frames' && !c.query.some(([k, v]) => k === 'follow' && v === 'false');

interface Got {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Exactly the request the Go client writes (Node adds only Host, Connection and Content-Length). */
const send = (base: string, c: GoCall): Promise<Got> => {
  const keys = c.query.map(([k]) => k);
  expect(keys).toEqual([...keys].sort()); // url.Values.Encode sorts by key
  const qs = new URLSearchParams(c.query).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${c.path}${qs ? `?${qs}` : ''}`,
      { method: c.method, headers: GO_HEADERS, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        const frames = new FrameDecoder();
        res.on('data', (d: Buffer) => {
          chunks.push(d);
          if (isFollowed(c) && frames.push(d).some((f) => !f.heartbeat)) {
            req.destroy();
            resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) });
          }
        });
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          // The client asked for gzip itself, so it unzips itself (api.go autoUnzip).
          const body = res.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw;
          resolve({ status: res.statusCode!, headers: res.headers, body });
        });
      },
    );
    req.on('error', reject);
    req.end(c.body);
  });
};

/** Go's decodeBody: a 0-byte body with a non-nil target fails, else one JSON value. */
const decodeAs = (c: GoCall, got: Got): void => {
  expect(got.status).toBe(200);
  if (c.decode === 'empty') return expect(got.body.length).toBe(0);
  if (c.decode === 'bytes') return expect(got.body.length).toBeGreaterThan(0);
  if (c.decode === 'frames') {
    const frames = new FrameDecoder().push(got.body);
    expect(frames.filter((f) => !f.heartbeat).length).toBeGreaterThan(0);
    for (const f of frames) api.StreamFrame.parse(f.raw);
    return;
  }
  expect(got.body.length).toBeGreaterThan(0);
  const value: unknown = JSON.parse(got.body.toString('utf8'));
  if (c.list) {
    expect(Array.isArray(value)).toBe(true);
    expect((value as unknown[]).length).toBeGreaterThan(0);
    for (const v of value as unknown[]) c.decode.parse(v);
  } else c.decode.parse(value);
};

describe("Nomad's Go api client against fleetgate: golden requests, Go-struct decoders", () => {
  let t: ReturnType<typeof tmpDir>;
  let reg: MemoryRegistry;
  let agent: RunningAgent;
  let seeded: SeededAlloc;
  let gcVictim: SeededAlloc;
  let gateway: http.Server;
  let gatewayUrl: string;
  let nodeUrl: string;
  const fwd = new RemoteForwarder({ connectTimeoutMs: 1000 });

  beforeAll(async () => {
    t = tmpDir();
    seeded = seedAlloc(t.dir, { task: 'web' });
    fs.writeFileSync(path.join(seeded.logsDir, 'web.stdout.0'), 'hello from web\n');
    fs.writeFileSync(path.join(seeded.allocDir, 'web/local/config.txt'), 'port=8080\n');
    gcVictim = seedAlloc(t.dir, { task: 'old', job: 'old' });
    gcVictim.setStatus('complete');
    reg = new MemoryRegistry();
    agent = await startAgent(
      loadAgentConfig({ dataDir: t.dir, httpAddr: '127.0.0.1:0', nodeName: 'golden', meta: ['rack=r1'] }, {}),
      { link: async (id) => localLink(reg, new NodeAdmission(reg, silentLogger()), id) },
    );
    await eventually(async () => Boolean(await reg.getAlloc(asAllocId(gcVictim.id))), 5000);
    gateway = http.createServer(
      createGatewayApp({ registry: reg, forwarder: fwd, authenticator: aclDisabled, logger: silentLogger() }),
    );
    await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
    gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
  }, 30_000);
  afterAll(async () => {
    fwd.close();
    gateway?.closeAllConnections();
    await new Promise((r) => gateway?.close(r));
    await agent?.stop();
    t?.cleanup();
  });

  /** The node address the Go client dials: HTTPAddr from Nodes().Info, as getNodeClientImpl does. */
  const nodeBase = async (): Promise<string> => {
    if (nodeUrl) return nodeUrl;
    const got = await send(gatewayUrl, {
      call: 'Nodes().Info',
      to: 'server',
      method: 'GET',
      path: `/v1/node/${agent.nodeId}`,
      query: [['namespace', 'default']],
      decode: api.Node,
    });
    const n = api.Node.parse(JSON.parse(got.body.toString()));
    expect(n.Status).not.toBe('down');
    nodeUrl = `${n.TLSEnabled ? 'https' : 'http'}://${n.HTTPAddr}`;
    return nodeUrl;
  };

  const ns: [string, string] = ['namespace', 'default'];
  const region: [string, string] = ['region', 'global'];
  const calls = (): GoCall[] => {
    const id = seeded.id;
    const node = agent.nodeId;
    return [
      {
        call: 'Nodes().List',
        to: 'server',
        method: 'GET',
        path: '/v1/nodes',
        query: [ns],
        decode: api.NodeListStub,
        list: true,
      },
      {
        call: 'Nodes().PrefixList',
        to: 'server',
        method: 'GET',
        path: '/v1/nodes',
        query: [ns, ['prefix', node.slice(0, 4)]],
        decode: api.NodeListStub,
        list: true,
      },
      {
        call: 'Nodes().Info',
        to: 'server',
        method: 'GET',
        path: `/v1/node/${node}`,
        query: [ns],
        decode: api.Node,
      },
      {
        call: 'Nodes().Allocations',
        to: 'server',
        method: 'GET',
        path: `/v1/node/${node}/allocations`,
        query: [ns],
        decode: api.Allocation,
        list: true,
      },
      {
        call: 'Nodes().Stats',
        to: 'server',
        method: 'GET',
        path: '/v1/client/stats',
        query: [ns, ['node_id', node]],
        decode: api.HostStats,
      },
      {
        call: 'Nodes().Meta().Read',
        to: 'server',
        method: 'GET',
        path: '/v1/client/metadata',
        query: [ns, ['node_id', node]],
        decode: api.NodeMetaResponse,
      },
      {
        call: 'Nodes().Meta().Apply',
        to: 'server',
        method: 'POST',
        path: '/v1/client/metadata',
        query: [ns],
        body: `${JSON.stringify({ NodeID: node, Meta: { team: 'blue' } })}\n`,
        decode: api.NodeMetaResponse,
      },
      {
        call: 'Allocations().List',
        to: 'server',
        method: 'GET',
        path: '/v1/allocations',
        query: [ns],
        decode: api.AllocationListStub,
        list: true,
      },
      {
        call: 'Allocations().PrefixList',
        to: 'server',
        method: 'GET',
        path: '/v1/allocations',
        query: [ns, ['prefix', id.slice(0, 8)]],
        decode: api.AllocationListStub,
        list: true,
      },
      {
        call: 'Allocations().Info',
        to: 'server',
        method: 'GET',
        path: `/v1/allocation/${id}`,
        query: [ns],
        decode: api.Allocation,
      },
      {
        call: 'Allocations().Stats',
        to: 'node',
        method: 'GET',
        path: `/v1/client/allocation/${id}/stats`,
        query: [ns, region],
        decode: api.AllocResourceUsage,
      },
      {
        call: 'AllocFS().List',
        to: 'node',
        method: 'GET',
        path: `/v1/client/fs/ls/${id}`,
        query: [ns, ['path', 'alloc/logs'], region],
        decode: api.AllocFileInfo,
        list: true,
      },
      {
        call: 'AllocFS().Stat',
        to: 'node',
        method: 'GET',
        path: `/v1/client/fs/stat/${id}`,
        query: [ns, ['path', 'web/local/config.txt'], region],
        decode: api.AllocFileInfo,
      },
      {
        call: 'AllocFS().ReadAt',
        to: 'node',
        method: 'GET',
        path: `/v1/client/fs/readat/${id}`,
        query: [['limit', '4'], ns, ['offset', '0'], ['path', 'web/local/config.txt'], region],
        decode: 'bytes',
      },
      {
        call: 'AllocFS().Cat',
        to: 'node',
        method: 'GET',
        path: `/v1/client/fs/cat/${id}`,
        query: [ns, ['path', 'web/local/config.txt'], region],
        decode: 'bytes',
      },
      {
        call: 'AllocFS().Stream',
        to: 'node',
        method: 'GET',
        path: `/v1/client/fs/stream/${id}`,
        query: [
          ['follow', 'false'],
          ns,
          ['offset', '0'],
          ['origin', 'start'],
          ['path', 'alloc/logs/web.stdout.0'],
          region,
        ],
        decode: 'frames',
      },
      {
        call: 'AllocFS().Logs',
        to: 'node',
        method: 'GET',
        path: `/v1/client/fs/logs/${id}`,
        query: [
          ['follow', 'false'],
          ns,
          ['offset', '0'],
          ['origin', 'start'],
          region,
          ['task', 'web'],
          ['type', 'stdout'],
        ],
        decode: 'frames',
      },
    ];
  };

  test.each([
    'Nodes().List',
    'Nodes().PrefixList',
    'Nodes().Info',
    'Nodes().Allocations',
    'Nodes().Stats',
    'Nodes().Meta().Read',
    'Nodes().Meta().Apply',
    'Allocations().List',
    'Allocations().PrefixList',
    'Allocations().Info',
  ])('%s (to the server) decodes as the Go struct', async (name) => {
    const c = calls().find((x) => x.call === name)!;
    expect(c.to).toBe('server');
    decodeAs(c, await send(gatewayUrl, c));
  });

  test.each([
    'Allocations().Stats',
    'AllocFS().List',
    'AllocFS().Stat',
    'AllocFS().ReadAt',
    'AllocFS().Cat',
    'AllocFS().Stream',
    'AllocFS().Logs',
  ])('%s (to the node, and to the server as the fallback) decodes as the Go struct', async (name) => {
    const c = calls().find((x) => x.call === name)!;
    expect(c.to).toBe('node');
    decodeAs(c, await send(await nodeBase(), c));
    decodeAs(c, await send(gatewayUrl, c));
  });

  test('a blocking Nodes().List (WaitIndex, WaitTime) carries the query meta the client parses', async () => {
    const first = await send(gatewayUrl, calls()[0]!);
    const index = Number(first.headers['x-nomad-index']);
    expect(index).toBeGreaterThan(0);
    const c: GoCall = {
      call: 'Nodes().List(&QueryOptions{WaitIndex, WaitTime: 2s})',
      to: 'server',
      method: 'GET',
      path: '/v1/nodes',
      query: [['index', String(index - 1)], ns, ['wait', '2000ms']],
      decode: api.NodeListStub,
      list: true,
    };
    const got = await send(gatewayUrl, c);
    decodeAs(c, got);
    // parseQueryMeta: ParseUint of X-Nomad-Index and X-Nomad-LastContact, "true" for KnownLeader.
    expect(got.headers['x-nomad-index']).toMatch(/^[1-9]\d*$/);
    expect(got.headers['x-nomad-lastcontact']).toBe('0');
    expect(got.headers['x-nomad-knownleader']).toBe('true');
  });

  test('CreateIndex/ModifyIndex of nodes and allocations are the registry stamps (never 0), so the index sort works', async () => {
    const get = async (name: string) =>
      JSON.parse(
        (
          await send(
            gatewayUrl,
            calls().find((x) => x.call === name)!,
          )
        ).body.toString(),
      );
    const n = api.Node.parse(await get('Nodes().Info'));
    const a = api.Allocation.parse(await get('Allocations().Info'));
    expect(n.CreateIndex).toBeGreaterThan(0);
    expect(n.ModifyIndex).toBeGreaterThanOrEqual(n.CreateIndex);
    expect(a.CreateIndex).toBeGreaterThan(0);
    // An allocation's answer depends on its node's status: its ModifyIndex is never below the node's.
    expect(a.ModifyIndex).toBeGreaterThanOrEqual(Math.max(a.CreateIndex, n.ModifyIndex));
    const stubs = (await get('Allocations().List')) as Array<{ CreateIndex: number; ModifyIndex: number }>;
    for (const s of stubs) expect(s.CreateIndex).toBeGreaterThan(0);
  });

  test("Nodes().Info and Nodes().List(resources=true) carry the node's measured NodeResources", async () => {
    const info = calls().find((x) => x.call === 'Nodes().Info')!;
    const n = api.Node.parse(JSON.parse((await send(gatewayUrl, info)).body.toString()));
    const r = n.NodeResources!;
    expect(r).not.toBeNull();
    // What the agent's host has: every core, its memory, the data directory's free space.
    expect(r.Cpu.TotalCpuCores).toBe(os.cpus().length);
    expect(r.Cpu.ReservableCpuCores).toEqual(os.cpus().map((_, i) => i));
    expect(r.Memory.MemoryMB).toBe(Math.floor(os.totalmem() / 2 ** 20));
    const free = fs.statfsSync(t.dir);
    const freeMb = (free.bavail * free.bsize) / 2 ** 20;
    expect(r.Disk.DiskMB).toBeGreaterThan(0);
    // Measured at start: within 10% (or 100 MiB) of what is free now.
    expect(Math.abs(r.Disk.DiskMB - freeMb)).toBeLessThan(Math.max(100, freeMb / 10));
    // The agent listens on 127.0.0.1: the loopback interface holds the advertised address.
    expect(r.Networks).toEqual([
      expect.objectContaining({ Mode: 'host', IP: '127.0.0.1', CIDR: '127.0.0.1/32', Device: 'lo' }),
    ]);
    const list: GoCall = {
      call: 'Nodes().List(&QueryOptions{Params: {resources: true}})',
      to: 'server',
      method: 'GET',
      path: '/v1/nodes',
      query: [ns, ['resources', 'true']],
      decode: api.NodeListStub,
      list: true,
    };
    const got = await send(gatewayUrl, list);
    decodeAs(list, got);
    const stubs = JSON.parse(got.body.toString()) as Array<{ NodeResources?: unknown }>;
    expect(stubs[0]!.NodeResources).toEqual(JSON.parse(JSON.stringify(r)));
    // Without the parameter, Go's omitempty leaves the field out.
    const plain = JSON.parse((await send(gatewayUrl, calls()[0]!)).body.toString()) as object[];
    expect(plain[0]).not.toHaveProperty('NodeResources');
  });

  test('Nodes().GcAlloc and Nodes().GC (to the server) answer 200 with the empty body Nomad sends', async () => {
    const gcAlloc: GoCall = {
      call: 'Nodes().GcAlloc',
      to: 'server',
      method: 'GET',
      path: `/v1/client/allocation/${gcVictim.id}/gc`,
      query: [ns],
      decode: 'empty',
    };
    decodeAs(gcAlloc, await send(gatewayUrl, gcAlloc));
    const gc: GoCall = {
      call: 'Nodes().GC',
      to: 'server',
      method: 'GET',
      path: '/v1/client/gc',
      query: [ns, ['node_id', agent.nodeId]],
      decode: 'empty',
    };
    decodeAs(gc, await send(gatewayUrl, gc));
  });

  test('the CLI finds the task of the allocation through Job.TaskGroups[].Tasks[] (alloc logs without a task)', async () => {
    const got = await send(
      gatewayUrl,
      calls().find((x) => x.call === 'Allocations().Info')!,
    );
    const a = api.Allocation.parse(JSON.parse(got.body.toString()));
    // command/alloc_logs.go lookupAllocTask: LookupTaskGroup(alloc.TaskGroup), one task → its name.
    const tg = a.Job!.TaskGroups!.find((g) => g.Name === a.TaskGroup);
    expect(tg!.Tasks!.map((x) => x.Name)).toEqual(['web']);
    expect(a.NodeName).toBe('golden');
  });

  test('the decoders fail on a missing or mistyped field, so these goldens can fail', async () => {
    const got = await send(
      gatewayUrl,
      calls().find((x) => x.call === 'Allocations().Info')!,
    );
    const ok = JSON.parse(got.body.toString()) as Record<string, unknown>;
    const without = (k: string) => Object.fromEntries(Object.entries(ok).filter(([x]) => x !== k));
    expect(() => api.Allocation.parse(ok)).not.toThrow();
    expect(() => api.Allocation.parse(without('Job'))).toThrow();
    expect(() => api.Allocation.parse(without('NodeName'))).toThrow();
    expect(() => api.Allocation.parse({ ...ok, CreateTime: String(ok['CreateTime']) })).toThrow();
    const states = ok['TaskStates'] as Record<string, Record<string, unknown>>;
    expect(() =>
      api.Allocation.parse({ ...ok, TaskStates: { web: { ...states['web'], Restarts: '0' } } }),
    ).toThrow();
    expect(() => api.StreamFrame.parse({ Data: 'not base64!', Offset: 1 })).toThrow();
  });
});

describe("the CLI's task lookup resolves for every allocation a manifest can describe", () => {
  const node = {
    ID: asNodeId(randomUUID()),
    Name: 'n',
    Datacenter: 'dc1',
    HTTPAddr: 'h:1',
    AdvertiseURL: 'http://h:1',
    Meta: {},
    Version: '1',
    LastHeartbeat: 0,
  };
  const statuses: ClientStatus[] = ['pending', 'running', 'complete', 'failed', 'lost'];
  const taskLists = [['web'], ['main', 'sidecar'], ['a', 'b', 'c'], []];
  const cases = statuses.flatMap((ClientStatus) =>
    taskLists.flatMap((Tasks) =>
      ['default', 'prod'].flatMap((Namespace) =>
        (['ready', 'down'] as const).map((Status) => ({ ClientStatus, Tasks, Namespace, Status })),
      ),
    ),
  );

  test.each(cases)('%o', ({ ClientStatus, Tasks, Namespace, Status }) => {
    const manifest = ManifestSchema.parse({
      ID: randomUUID(),
      Namespace,
      JobID: 'job-x',
      TaskGroup: 'group-y',
      Name: 'job-x.group-y[0]',
      Tasks,
      ClientStatus,
      CreateTime: 1_764_000_000_000_000_000,
      ModifyTime: 1_764_000_001_000_000_000,
    });
    const a = api.Allocation.parse(
      JSON.parse(
        JSON.stringify(
          allocation({ ...manifest, ID: asAllocId(manifest.ID), NodeID: node.ID }, { ...node, Status }),
        ),
      ),
    );
    // command/alloc_logs.go lookupAllocTask and alloc_restart.go: the group of alloc.TaskGroup.
    const tg = a.Job!.TaskGroups!.find((g) => g.Name! === a.TaskGroup);
    expect(tg).toBeDefined();
    expect(tg!.Tasks!.map((x) => x.Name)).toEqual(Tasks);
    expect(Object.keys(a.TaskStates!).sort()).toEqual([...Tasks].sort());
    // AllocationListStub built from it (api Stub()) needs Job.Type and Job.Version.
    expect(a.Job!.Type).toBe('service');
    expect(a.Job!.Version).toBe(0);
    const lost = Status === 'down' && (ClientStatus === 'pending' || ClientStatus === 'running');
    expect(a.ClientStatus).toBe(lost ? 'lost' : ClientStatus);
  });
});

import { localLink } from '../../src/agent/registration/local-link';
import { NodeAdmission } from '../../src/registry/admission';
import { silentLogger } from '../../src/log/logger';
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { createAuthenticator } from '../../src/acl/authenticator';
import { parseKeyMaterial } from '../../src/acl/keys';
import { createSigner } from '../../src/acl/token';
import { startAgent, type RunningAgent } from '../../src/agent/agent';
import { loadAgentConfig } from '../../src/config/agent';
import { MemoryRegistry } from '../../src/registry/memory';
import { asNodeId, type AllocId } from '../../src/wire';
import { tmpDir } from '../helpers/tmp';
import { eventually, sleep } from '../helpers/eventually';

const km = parseKeyMaterial('an-hs256-secret-for-agent-tests');
const signer = createSigner(km);
const token = (rules?: object, type: 'client' | 'management' = 'client') =>
  signer.sign({ accessorId: randomUUID(), type, ttlMs: 3_600_000, ...(rules ? { rules } : {}) }).token;

const manifestFor = (id: string, status: string, tasks = ['web']) => ({
  ID: id,
  Namespace: 'default',
  JobID: 'ext',
  TaskGroup: 'ext',
  Name: 'ext.ext[0]',
  Tasks: tasks,
  ClientStatus: status,
  CreateTime: Date.now() * 1e6,
  ModifyTime: Date.now() * 1e6,
});

/** Another program writes the manifest (like a static pod file), atomically via rename. */
const writeManifestExternally = (dataDir: string, m: object): void => {
  const file = path.join(dataDir, 'client/allocs', `${(m as { ID: string }).ID}.json`);
  execFileSync(process.execPath, [
    '-e',
    `const fs=require('fs');fs.writeFileSync(process.argv[1]+'.part',process.argv[2]);fs.renameSync(process.argv[1]+'.part',process.argv[1])`,
    file,
    JSON.stringify(m),
  ]);
};

describe('agent allocation, stats and GC endpoints', () => {
  let t: ReturnType<typeof tmpDir>;
  let agent: RunningAgent;
  let registry: MemoryRegistry;
  let dataDir: string;

  beforeEach(async () => {
    t = tmpDir();
    dataDir = path.join(t.dir, 'data');
    registry = new MemoryRegistry();
    agent = await startAgent(
      loadAgentConfig({ dataDir, httpAddr: '127.0.0.1:0', heartbeatIntervalMs: '200' }, {}),
      {
        link: async (id) => localLink(registry, new NodeAdmission(registry, silentLogger()), id),
        authenticator: createAuthenticator({ keyMaterial: km, registry }),
      },
    );
  });
  afterEach(async () => {
    await agent.stop();
    t.cleanup();
  });

  const mgmt = () => token(undefined, 'management');

  it('a manifest written by another program is adopted within 1 s and registered; removal forgets it', async () => {
    const id = randomUUID();
    writeManifestExternally(dataDir, manifestFor(id, 'running'));
    const ms = await eventually(
      async () =>
        (await request(agent.app).get(`/v1/client/allocation/${id}/stats`).set('X-Nomad-Token', mgmt()))
          .status === 200,
    );
    // The promise is 1 s (fs.watch, else the periodic scan); the slack is for a loaded machine,
    // where the request that notices it is itself slow. A missed watch with no scan never ends.
    expect(ms).toBeLessThan(2500);
    await eventually(async () => (await registry.getAlloc(id as AllocId))?.NodeID === agent.nodeId);
    fs.rmSync(path.join(dataDir, 'client/allocs', `${id}.json`));
    await eventually(
      async () =>
        (await request(agent.app).get(`/v1/client/allocation/${id}/stats`).set('X-Nomad-Token', mgmt()))
          .status === 404,
      2500,
    );
    await eventually(async () => (await registry.getAlloc(id as AllocId)) === undefined);
  });

  it('an invalid manifest is skipped without harming the agent', async () => {
    fs.writeFileSync(path.join(dataDir, 'client/allocs', `${randomUUID()}.json`), '{"ID": 42');
    fs.writeFileSync(
      path.join(dataDir, 'client/allocs', `${randomUUID()}.json`),
      JSON.stringify({ ...manifestFor('x', 'running') }),
    );
    await sleep(700);
    expect(agent.services.manifests.list()).toEqual([]);
    await request(agent.app).get('/v1/client/metadata').set('X-Nomad-Token', mgmt()).expect(200);
  });

  it('alloc stats of an adopted task with no process are zeros with empty Measured; ?task filters', async () => {
    const id = randomUUID();
    writeManifestExternally(dataDir, manifestFor(id, 'running', ['web', 'db']));
    await eventually(() => agent.services.manifests.get(id) !== undefined);
    const r = await request(agent.app)
      .get(`/v1/client/allocation/${id}/stats`)
      .set('X-Nomad-Token', mgmt())
      .expect(200);
    expect(Object.keys(r.body.Tasks).sort()).toEqual(['db', 'web']);
    expect(r.body.Tasks.web.ResourceUsage.MemoryStats).toMatchObject({ RSS: 0, Measured: [] });
    expect(r.body.ResourceUsage.CpuStats).toMatchObject({ Percent: 0, Measured: [] });
    expect(r.body.Timestamp).toBe(0);
    const f = await request(agent.app)
      .get(`/v1/client/allocation/${id}/stats?task=db`)
      .set('X-Nomad-Token', mgmt())
      .expect(200);
    expect(Object.keys(f.body.Tasks)).toEqual(['db']);
    const none = await request(agent.app)
      .get(`/v1/client/allocation/${id}/stats?task=nope`)
      .set('X-Nomad-Token', mgmt())
      .expect(200);
    expect(none.body.Tasks).toEqual({});
  });

  it('unknown allocations are 404 before any ACL check (spec §13 #27, #28)', async () => {
    const id = randomUUID();
    for (const tok of [undefined, token({ node: { policy: 'write' } }), mgmt()]) {
      for (const action of ['stats', 'gc']) {
        const req = request(agent.app).get(`/v1/client/allocation/${id}/${action}`);
        const r = await (tok ? req.set('X-Nomad-Token', tok) : req).expect(404);
        expect(r.text).toBe(`Unknown allocation "${id}"`);
        expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
      }
    }
  });

  it('alloc stats and GC check the namespace capability (spec §13 #63, #64)', async () => {
    const id = randomUUID();
    writeManifestExternally(dataDir, manifestFor(id, 'running'));
    await eventually(() => agent.services.manifests.get(id) !== undefined);
    const deny = await request(agent.app).get(`/v1/client/allocation/${id}/stats`).expect(403);
    expect(deny.text).toBe('Permission denied');
    await request(agent.app)
      .get(`/v1/client/allocation/${id}/stats`)
      .set('X-Nomad-Token', token({ node: { policy: 'deny' } }))
      .expect(403);
    await request(agent.app)
      .get(`/v1/client/allocation/${id}/stats`)
      .set('Authorization', `Bearer ${token({ namespace: { default: { capabilities: ['read-job'] } } })}`)
      .expect(200);
    await request(agent.app).get(`/v1/client/allocation/${id}/gc`).expect(403);
    const submit = token({ namespace: { default: { capabilities: ['submit-job'] } } });
    const notEligible = await request(agent.app)
      .get(`/v1/client/allocation/${id}/gc`)
      .set('X-Nomad-Token', submit)
      .expect(500);
    expect(notEligible.text).toBe('No such allocation on client, or allocation not eligible for GC');
  });

  it('single GC of a terminal alloc deletes its dir and manifest, deregisters it, then it is unknown', async () => {
    const id = randomUUID();
    fs.mkdirSync(path.join(dataDir, 'alloc', id, 'alloc/logs'), { recursive: true });
    writeManifestExternally(dataDir, manifestFor(id, 'complete'));
    await eventually(async () => (await registry.getAlloc(id as AllocId)) !== undefined);
    const r = await request(agent.app)
      .post(`/v1/client/allocation/${id}/gc`)
      .set('X-Nomad-Token', mgmt())
      .expect(200);
    expect(r.text).toBe('');
    expect(r.headers['content-type']).toBeUndefined();
    expect(fs.existsSync(path.join(dataDir, 'alloc', id))).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'client/allocs', `${id}.json`))).toBe(false);
    await request(agent.app).get(`/v1/client/allocation/${id}/gc`).set('X-Nomad-Token', mgmt()).expect(404);
    await eventually(async () => (await registry.getAlloc(id as AllocId)) === undefined);
  });

  it('GC all collects every terminal alloc in the background and leaves running ones (spec §13 #61)', async () => {
    const terminal = [randomUUID(), randomUUID(), randomUUID()];
    const running = randomUUID();
    for (const id of terminal)
      writeManifestExternally(dataDir, manifestFor(id, id === terminal[0] ? 'failed' : 'complete'));
    writeManifestExternally(dataDir, manifestFor(running, 'running'));
    await eventually(() => agent.services.manifests.list().length === 4);
    await request(agent.app).get('/v1/client/gc').expect(403);
    await request(agent.app)
      .get('/v1/client/gc')
      .set('X-Nomad-Token', token({ node: { policy: 'read' } }))
      .expect(403);
    const r = await request(agent.app)
      .get('/v1/client/gc')
      .set('X-Nomad-Token', token({ node: { policy: 'write' } }))
      .expect(200);
    expect(r.text).toBe('');
    await agent.services.gc.idle();
    expect(agent.services.manifests.list().map((m) => m.ID)).toEqual([running]);
    const other = randomUUID();
    const u = await request(agent.app)
      .get(`/v1/client/gc?node_id=${other}`)
      .set('X-Nomad-Token', mgmt())
      .expect(404);
    expect(u.text).toContain('Unknown node');
  });

  it('host stats are computed from /proc and statfs (spec §10.1, §13 #65)', async () => {
    await request(agent.app).get('/v1/client/stats').expect(403);
    await request(agent.app)
      .get('/v1/client/stats')
      .set('X-Nomad-Token', token({ node: { policy: 'deny' } }))
      .expect(403);
    const r = await request(agent.app)
      .get('/v1/client/stats')
      .set('X-Nomad-Token', token({ node: { policy: 'read' } }))
      .expect(200);
    const s = r.body;
    expect(s.Uptime).toBeGreaterThan(0);
    expect(s.CPU.length).toBeGreaterThan(0);
    for (const c of s.CPU) {
      expect(c.CPU).toMatch(/^cpu\d+$/);
      expect(c.Idle + c.TotalPercent).toBeCloseTo(100, 5);
    }
    expect(s.Memory.Total).toBeGreaterThan(s.Memory.Used);
    expect(s.AllocDirStats).toMatchObject({ Device: '', Mountpoint: '' });
    expect(s.AllocDirStats.Size).toBeGreaterThan(0);
    expect(s.DiskStats === null || s.DiskStats.every((d: { Device: string }) => d.Device !== '')).toBe(true);
    expect(s.Timestamp).toBeGreaterThan(Date.now() * 1e6 - 5e9);
    expect(s.DeviceStats).toEqual([]);
    const other = randomUUID();
    const u = await request(agent.app)
      .get(`/v1/client/stats?node_id=${other}`)
      .set('X-Nomad-Token', mgmt())
      .expect(404);
    expect(u.text).toBe(`Unknown node ${other}`);
  });

  it('metadata needs node read / write (spec §13 #55) and a change reaches the registry within 1 s', async () => {
    await request(agent.app).get('/v1/client/metadata').expect(403);
    await request(agent.app)
      .post('/v1/client/metadata')
      .send({ Meta: { foo: 'bar' } })
      .expect(403);
    await request(agent.app)
      .post('/v1/client/metadata')
      .set('X-Nomad-Token', token({ node: { policy: 'read' } }))
      .send({ Meta: { foo: 'bar' } })
      .expect(403);
    const write = token({ node: { policy: 'write' } });
    await request(agent.app)
      .post('/v1/client/metadata')
      .set('X-Nomad-Token', write)
      .send({ Meta: { foo: 'bar' } })
      .expect(200);
    const ms = await eventually(
      async () => (await registry.getNode(asNodeId(agent.nodeId)))?.Meta['foo'] === 'bar',
    );
    // The promise is 1 s (fs.watch, else the periodic scan); the slack is for a loaded machine,
    // where the request that notices it is itself slow. A missed watch with no scan never ends.
    expect(ms).toBeLessThan(2500);
    const node = (await registry.getNode(asNodeId(agent.nodeId)))!;
    expect(node).toMatchObject({
      Status: 'ready',
      Datacenter: 'dc1',
      HTTPAddr: new URL(agent.url).host,
      AdvertiseURL: agent.url,
    });
  });

  it('an unmatched path is 404 and a handler crash is a generic 500 without a stack', async () => {
    await request(agent.app).get('/v1/client/allocation/x/y/z').expect(404);
    const crash = await startAgent(
      loadAgentConfig({ dataDir: path.join(t.dir, 'd2'), httpAddr: '127.0.0.1:0' }, {}),
      {
        handlerOverrides: {
          'stats.host': async () => {
            throw new Error('secret /host/path detail');
          },
        },
      },
    );
    try {
      const r = await request(crash.app).get('/v1/client/stats').expect(500);
      expect(r.text).toBe('internal error');
    } finally {
      await crash.stop();
    }
  });
});

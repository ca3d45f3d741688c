import { randomUUID } from 'node:crypto';
import type { Registry, RegistryChange } from '../../../src/registry/registry';
import { asAllocId, asNodeId, type AllocRecord, type NodeRecord } from '../../../src/wire';
import { eventually, sleep } from '../../helpers/eventually';

export interface RegistryFixture {
  reg: Registry;
  /** A second handle on the same store (a second process, for Redis): sees the first one's writes. */
  other: Registry;
  cleanup(): Promise<void>;
}

export const node = (over: Partial<NodeRecord> = {}): Omit<NodeRecord, 'Status' | 'LastHeartbeat'> => ({
  ID: asNodeId(randomUUID()),
  Name: 'n1',
  Datacenter: 'dc1',
  HTTPAddr: '127.0.0.1:4647',
  AdvertiseURL: 'http://127.0.0.1:4647',
  Meta: { rack: 'r1' },
  Version: '0.1.0',
  ...over,
});

export const alloc = (nodeId: string, over: Partial<AllocRecord> = {}): AllocRecord => ({
  ID: asAllocId(randomUUID()),
  NodeID: asNodeId(nodeId),
  Namespace: 'default',
  JobID: 'web',
  TaskGroup: 'web',
  Name: 'web.web[0]',
  Tasks: ['web'],
  ClientStatus: 'running',
  CreateTime: 1,
  ModifyTime: 2,
  ...over,
});

/** One behaviour suite that every Registry implementation must pass. */
export const registryContract = (name: string, make: () => Promise<RegistryFixture>) =>
  describe(`${name} registry contract`, () => {
    let f: RegistryFixture;
    beforeEach(async () => {
      f = await make();
    });
    afterEach(async () => {
      await f.cleanup();
    });

    test('a registered node reads back ready with its fields', async () => {
      const n = node();
      await f.reg.putNode(n, 10_000);
      const got = await f.other.getNode(n.ID);
      expect(got).toMatchObject({ ...n, Status: 'ready' });
      expect(got!.LastHeartbeat).toBeGreaterThan(Date.now() - 5000);
      expect((await f.other.listNodes()).map((x) => x.ID)).toContain(n.ID);
    });

    test('an unknown node is undefined', async () => {
      expect(await f.reg.getNode(asNodeId(randomUUID()))).toBeUndefined();
    });

    test('a node whose heartbeat lapsed reads down at once, and a heartbeat revives it', async () => {
      const n = node();
      await f.reg.putNode(n, 150);
      expect((await f.reg.getNode(n.ID))!.Status).toBe('ready');
      await sleep(200);
      expect((await f.other.getNode(n.ID))!.Status).toBe('down');
      await f.reg.heartbeat(n.ID, 150);
      expect((await f.other.getNode(n.ID))!.Status).toBe('ready');
    });

    test('allocations are indexed by node, prefix and namespace; another node cannot take one', async () => {
      const n1 = node();
      const n2 = node();
      const a = alloc(n1.ID);
      const b = alloc(n2.ID, { Namespace: 'prod' });
      await f.reg.putAlloc(a);
      await f.reg.putAlloc(b);
      expect(await f.other.getAlloc(a.ID)).toEqual({
        ...a,
        CreateIndex: expect.any(Number),
        ModifyIndex: expect.any(Number),
      });
      expect((await f.other.listAllocs({ nodeId: n1.ID })).map((x) => x.ID)).toEqual([a.ID]);
      expect((await f.other.listAllocs({ namespace: 'prod' })).map((x) => x.ID)).toEqual([b.ID]);
      expect((await f.other.listAllocs({ prefix: a.ID.slice(0, 8) })).map((x) => x.ID)).toEqual([a.ID]);
      expect(await f.reg.putAlloc({ ...a, NodeID: n2.ID })).toBe(false);
      expect((await f.other.getAlloc(a.ID))!.NodeID).toBe(n1.ID);
      expect((await f.other.listAllocs({ nodeId: n2.ID })).map((x) => x.ID)).toEqual([b.ID]);
      await f.reg.removeAlloc(a.ID, n2.ID);
      expect((await f.other.getAlloc(a.ID))!.NodeID).toBe(n1.ID);
      await f.reg.removeAlloc(a.ID, n1.ID);
      expect(await f.reg.putAlloc({ ...a, NodeID: n2.ID })).toBe(true);
    });

    test('a removed allocation is gone from every index', async () => {
      const n = node();
      const a = alloc(n.ID);
      await f.reg.putAlloc(a);
      await f.reg.removeAlloc(a.ID);
      expect(await f.other.getAlloc(a.ID)).toBeUndefined();
      expect(await f.other.listAllocs({ nodeId: n.ID })).toEqual([]);
      expect((await f.other.listAllocs()).map((x) => x.ID)).not.toContain(a.ID);
    });

    test('policies round-trip, keep CreateIndex across updates, and delete', async () => {
      await f.reg.putPolicy({ Name: 'ro', Description: 'd', Rules: '{}' });
      const first = await f.other.getPolicy('ro');
      expect(first).toMatchObject({ Name: 'ro', Description: 'd', Rules: '{}' });
      await f.reg.putPolicy({ Name: 'ro', Description: 'd2', Rules: '{"node":{"policy":"read"}}' });
      const second = await f.other.getPolicy('ro');
      expect(second!.CreateIndex).toBe(first!.CreateIndex);
      expect(second!.ModifyIndex).toBeGreaterThan(first!.ModifyIndex!);
      expect((await f.other.listPolicies()).map((p) => p.Name)).toEqual(['ro']);
      await f.reg.deletePolicy('ro');
      expect(await f.other.getPolicy('ro')).toBeUndefined();
    });

    test('a revocation holds until its expiry; 0 means forever', async () => {
      await f.reg.revokeToken('j1', Date.now() + 150);
      await f.reg.revokeToken('j2', 0);
      expect(await f.other.isRevoked('j1')).toBe(true);
      expect(await f.other.isRevoked('j2')).toBe(true);
      expect(await f.other.isRevoked('j3')).toBe(false);
      await sleep(250);
      expect(await f.other.isRevoked('j1')).toBe(false);
      expect(await f.other.isRevoked('j2')).toBe(true);
    });

    test("an issued token's expiry is remembered until then; 0 means it never expires", async () => {
      await f.reg.recordIssued('i1', Date.now() + 150);
      await f.reg.recordIssued('i2', 0);
      expect(await f.other.issuedExpiry('i1')).toBeGreaterThan(Date.now());
      expect(await f.other.issuedExpiry('i2')).toBe(0);
      expect(await f.other.issuedExpiry('i3')).toBeUndefined();
      await sleep(250);
      expect(await f.other.issuedExpiry('i1')).toBeUndefined();
      expect(await f.other.issuedExpiry('i2')).toBe(0);
    });

    test('revocations in force are listed with their expiry', async () => {
      await f.reg.revokeToken('l1', Date.now() + 1000);
      await f.reg.revokeToken('l2', 0);
      const listed = await f.other.listRevoked();
      expect(listed.map((r) => r.jti).sort()).toEqual(['l1', 'l2']);
      expect(listed.find((r) => r.jti === 'l2')!.expiresAtMs).toBe(0);
      await sleep(1200);
      expect((await f.other.listRevoked()).map((r) => r.jti)).toEqual(['l2']);
    });

    test('a node secret is claimed once; join tokens round-trip and expire', async () => {
      const id = asNodeId(randomUUID());
      expect(await f.reg.claimNodeSecret(id, 'h1')).toBe(true);
      expect(await f.other.claimNodeSecret(id, 'h2')).toBe(false);
      expect(await f.other.nodeSecret(id)).toBe('h1');
      const t = { AccessorID: 'a1', Name: 'n', SecretHash: 'x', ExpiresAt: Date.now() + 400 };
      await f.reg.putJoinToken(t);
      expect(await f.other.getJoinToken('a1')).toEqual(t);
      await sleep(600);
      expect(await f.other.getJoinToken('a1')).toBeUndefined();
      await f.reg.putJoinToken({ ...t, ExpiresAt: Date.now() + 60_000 });
      await f.reg.deleteJoinToken('a1');
      expect(await f.other.getJoinToken('a1')).toBeUndefined();
    });

    test('bootstrap can be claimed exactly once', async () => {
      const claims = await Promise.all([f.reg.claimBootstrap('a'), f.other.claimBootstrap('b')]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await f.reg.claimBootstrap('c')).toBe(false);
    });

    test('the modify index grows when a node or allocation changes, not on an identical write or a heartbeat', async () => {
      const n = node();
      const start = await f.reg.modifyIndex();
      await f.reg.putNode(n, 10_000);
      const afterNode = await f.other.modifyIndex();
      expect(afterNode.nodes).toBeGreaterThan(start.nodes);
      expect(afterNode.allocs).toBe(start.allocs);
      await f.reg.putNode(n, 10_000);
      await f.reg.heartbeat(n.ID, 10_000);
      expect(await f.other.modifyIndex()).toEqual(afterNode);
      await f.reg.putNode({ ...n, Meta: { rack: 'r2' } }, 10_000);
      const renamed = await f.other.modifyIndex();
      expect(renamed.nodes).toBeGreaterThan(afterNode.nodes);

      const a = alloc(n.ID);
      await f.reg.putAlloc(a);
      const afterAlloc = await f.other.modifyIndex();
      expect(afterAlloc.allocs).toBeGreaterThan(renamed.nodes);
      expect(afterAlloc.nodes).toBe(renamed.nodes);
      await f.reg.putAlloc(a);
      expect(await f.other.modifyIndex()).toEqual(afterAlloc);
      await f.reg.putAlloc({ ...a, ClientStatus: 'complete' });
      const completed = await f.other.modifyIndex();
      expect(completed.allocs).toBeGreaterThan(afterAlloc.allocs);
      await f.reg.removeAlloc(a.ID);
      expect((await f.other.modifyIndex()).allocs).toBeGreaterThan(completed.allocs);
    });

    test('markDown bumps the index once per outage and never for a live node; coming back bumps again', async () => {
      const n = node();
      await f.reg.putNode(n, 150);
      expect(await f.other.markDown(n.ID)).toBe(false);
      expect(await f.other.markDown(asNodeId(randomUUID()))).toBe(false);
      await sleep(200);
      const before = await f.other.modifyIndex();
      const marks = await Promise.all([f.reg.markDown(n.ID), f.other.markDown(n.ID)]);
      expect(marks.filter(Boolean)).toHaveLength(1);
      const down = await f.other.modifyIndex();
      expect(down.nodes).toBeGreaterThan(before.nodes);
      const got = await f.other.getNode(n.ID);
      expect(got!.Status).toBe('down');
      expect(got!.StatusUpdatedAt).toBeGreaterThanOrEqual(got!.LastHeartbeat);
      expect(await f.reg.markDown(n.ID)).toBe(false);
      await f.reg.heartbeat(n.ID, 10_000);
      expect((await f.other.modifyIndex()).nodes).toBeGreaterThan(down.nodes);
      expect((await f.other.getNode(n.ID))!.Status).toBe('ready');
    });

    test('a change that bumps the index carries it, so watchers need not ask the store', async () => {
      const seen: RegistryChange[] = [];
      const off = f.other.onChange((c) => seen.push(c));
      const n = node();
      await f.reg.putNode(n, 10_000);
      await f.reg.putNode(n, 10_000);
      const a = alloc(n.ID);
      await f.reg.putAlloc(a);
      await eventually(() => seen.length >= 3, 2000);
      const idx = await f.other.modifyIndex();
      // In order within a kind; across kinds no order is promised (on a cluster the node and the
      // allocation buckets publish through different shards' connections).
      const indexes = (kind: RegistryChange['kind']) =>
        seen.filter((c) => c.kind === kind).map((c) => ('index' in c ? c.index : undefined));
      expect(indexes('node')).toEqual([idx.nodes, undefined]);
      expect(indexes('alloc')).toEqual([idx.allocs]);
      expect(seen.find((c) => c.kind === 'node')).toMatchObject({ kind: 'node', id: n.ID, ttlMs: 10_000 });
      off();
    });

    test('every write is delivered as a change to subscribers of the store; a live heartbeat is not', async () => {
      const seen: RegistryChange[] = [];
      const off = f.other.onChange((c) => seen.push(c));
      const n = node();
      const a = alloc(n.ID);
      await f.reg.putNode(n, 10_000);
      await f.reg.heartbeat(n.ID, 10_000);
      await f.reg.putAlloc(a);
      await f.reg.putPolicy({ Name: 'p', Description: '', Rules: '{}' });
      await f.reg.revokeToken('j', 0);
      await eventually(() => seen.length >= 4, 2000);
      await sleep(100);
      // Sorted: on a cluster, changes of different buckets travel on different shards.
      expect(seen.map((c) => c.kind).sort()).toEqual(['alloc', 'node', 'policy', 'revoked']);
      off();
    });

    test('the sweep marks each lapsed node down once, publishing it; a heartbeat that revives it is published', async () => {
      const seen: RegistryChange[] = [];
      const off = f.other.onChange((c) => seen.push(c));
      const lapsing = node();
      const live = node();
      await f.reg.putNode(lapsing, 150);
      await f.reg.putNode(live, 10_000);
      expect(await f.other.sweepLapsed()).toBe(0);
      await sleep(250);
      const before = await f.other.modifyIndex();
      const marked = await Promise.all([f.reg.sweepLapsed(), f.other.sweepLapsed()]);
      expect(marked[0]! + marked[1]!).toBe(1);
      expect(await f.reg.sweepLapsed()).toBe(0);
      expect((await f.other.getNode(lapsing.ID))!.Status).toBe('down');
      expect((await f.other.getNode(live.ID))!.Status).toBe('ready');
      expect((await f.other.modifyIndex()).nodes).toBeGreaterThan(before.nodes);
      await eventually(() =>
        seen.some((c) => c.kind === 'node' && c.id === lapsing.ID && c.index !== undefined),
      );
      await f.reg.heartbeat(lapsing.ID, 10_000);
      await eventually(() => seen.some((c) => c.kind === 'heartbeat' && c.id === lapsing.ID), 2000);
      expect(seen.find((c) => c.kind === 'heartbeat')).toMatchObject({ id: lapsing.ID, ttlMs: 10_000 });
      expect((await f.other.getNode(lapsing.ID))!.Status).toBe('ready');
      off();
    });
    test('each record carries the index of its first and last change: stamped with the table index, kept while it does not change', async () => {
      const n = node();
      await f.reg.putNode(n, 10_000);
      const first = (await f.other.getNode(n.ID))!;
      const idx = await f.other.modifyIndex();
      expect(first.CreateIndex).toBeGreaterThan(0);
      expect(first.ModifyIndex).toBe(first.CreateIndex);
      expect(first.ModifyIndex).toBe(idx.nodes);
      // An identical re-registration and a heartbeat of a live node change nothing.
      await f.reg.putNode({ ...n }, 10_000);
      await f.reg.heartbeat(n.ID, 10_000);
      expect(await f.other.getNode(n.ID)).toMatchObject({
        CreateIndex: first.CreateIndex,
        ModifyIndex: first.ModifyIndex,
      });
      // A changed record moves ModifyIndex only; a record written back with stamps is not a change.
      await f.reg.putNode({ ...n, Meta: { rack: 'r2' } }, 10_000);
      const changed = (await f.other.getNode(n.ID))!;
      expect(changed.CreateIndex).toBe(first.CreateIndex);
      expect(changed.ModifyIndex).toBeGreaterThan(first.ModifyIndex!);
      await f.reg.putNode({ ...n, Meta: { rack: 'r2' }, CreateIndex: 1, ModifyIndex: 2 }, 10_000);
      expect((await f.other.getNode(n.ID))!.ModifyIndex).toBe(changed.ModifyIndex);
      // A short TTL (an identical record from a live node: no change) so the node lapses.
      await f.reg.putNode({ ...n, Meta: { rack: 'r2' } }, 150);
      // Going down (the sweep) and coming back (a heartbeat) are changes of what a read answers.
      await sleep(250);
      await f.reg.sweepLapsed();
      const down = (await f.other.getNode(n.ID))!;
      expect(down.Status).toBe('down');
      expect(down.ModifyIndex).toBeGreaterThan(changed.ModifyIndex!);
      await f.reg.heartbeat(n.ID, 10_000);
      const back = (await f.other.getNode(n.ID))!;
      expect(back.ModifyIndex).toBeGreaterThan(down.ModifyIndex!);
      expect(back.CreateIndex).toBe(first.CreateIndex);
      expect((await f.other.listNodes()).find((x) => x.ID === n.ID)).toMatchObject({
        CreateIndex: back.CreateIndex,
        ModifyIndex: back.ModifyIndex,
      });

      // Allocations alike; a later allocation is created at a higher index.
      const a = alloc(n.ID);
      await f.reg.putAlloc(a);
      const a1 = (await f.other.getAlloc(a.ID))!;
      expect(a1.CreateIndex).toBeGreaterThan(back.ModifyIndex!);
      expect(a1.ModifyIndex).toBe(a1.CreateIndex);
      await f.reg.putAlloc({ ...a1 });
      expect(await f.other.getAlloc(a.ID)).toMatchObject({
        CreateIndex: a1.CreateIndex,
        ModifyIndex: a1.ModifyIndex,
      });
      await f.reg.putAlloc({ ...a, ClientStatus: 'complete' });
      const a2 = (await f.other.getAlloc(a.ID))!;
      expect(a2.CreateIndex).toBe(a1.CreateIndex);
      expect(a2.ModifyIndex).toBeGreaterThan(a1.ModifyIndex!);
      expect((await f.other.listAllocs({ nodeId: n.ID }))[0]).toMatchObject({
        CreateIndex: a2.CreateIndex,
        ModifyIndex: a2.ModifyIndex,
      });
      const b = alloc(n.ID);
      await f.reg.putAlloc(b);
      expect((await f.other.getAlloc(b.ID))!.CreateIndex).toBeGreaterThan(a2.ModifyIndex!);
      // Removed and stored again: a new record, created anew.
      await f.reg.removeAlloc(a.ID);
      await f.reg.putAlloc(a);
      const again = (await f.other.getAlloc(a.ID))!;
      expect(again.CreateIndex).toBeGreaterThan(a2.ModifyIndex!);
      expect(again.ModifyIndex).toBe(again.CreateIndex);
    });
  });

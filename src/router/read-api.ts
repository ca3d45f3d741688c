import { Router, type Request } from 'express';
import { isAllowed } from '../acl/authorize';
import { tokenFromHeaders } from '../acl/token-header';
import type { Identity } from '../acl/types';
import { errors } from '../errors';
import { asNodeId, isUuid, type AllocRecord, type NodeRecord, type RouteCapability } from '../wire';
import type { GatewayDeps } from './deps';
import { notFound } from './resolve';
import { sendJson } from './respond';

const NODE_READ: RouteCapability = { kind: 'node', level: 'read' };
const READ_JOB: RouteCapability = { kind: 'namespace', anyOf: ['read-job'] };

/** `HTTPAddr` as `host:port` (what the Go api client dials, spec §7). */
const nodeStub = (n: NodeRecord) => ({
  Address: n.HTTPAddr.replace(/:\d+$/, ''),
  CreateIndex: 0,
  Datacenter: n.Datacenter,
  Drain: false,
  HTTPAddr: n.HTTPAddr,
  ID: n.ID,
  LastHeartbeat: n.LastHeartbeat,
  ModifyIndex: 0,
  Name: n.Name,
  NodeClass: '',
  NodePool: 'default',
  SchedulingEligibility: 'eligible',
  Status: n.Status,
  StatusDescription: '',
  Version: n.Version,
});

const nodeDetail = (n: NodeRecord) => ({
  ...nodeStub(n),
  Attributes: { 'nomad.version': n.Version, 'fleetgate.advertise': n.AdvertiseURL },
  Meta: n.Meta,
  StatusUpdatedAt: Math.floor(n.LastHeartbeat / 1000),
  TLSEnabled: false,
});

const allocStub = (a: AllocRecord) => ({
  ClientStatus: a.ClientStatus,
  CreateTime: a.CreateTime,
  DesiredStatus: a.ClientStatus === 'running' || a.ClientStatus === 'pending' ? 'run' : 'stop',
  ID: a.ID,
  JobID: a.JobID,
  ModifyTime: a.ModifyTime,
  Name: a.Name,
  Namespace: a.Namespace,
  NodeID: a.NodeID,
  TaskGroup: a.TaskGroup,
  TaskStates: Object.fromEntries(
    a.Tasks.map((t) => [
      t,
      { State: a.ClientStatus === 'pending' ? 'pending' : a.ClientStatus === 'running' ? 'running' : 'dead' },
    ]),
  ),
});

/**
 * Nomad's server read API over the registry, which the Go api client and operators use to find
 * nodes (spec §7): nodes need node read; allocations `read-job` in their namespace, and lists
 * show only what the token can read.
 */
export const readApi = (deps: GatewayDeps): Router => {
  const r = Router();
  const who = (req: Request): Promise<Identity> =>
    deps.authenticator.authenticate(tokenFromHeaders(req.headers));
  const need = (id: Identity, cap: RouteCapability, ns?: string) => {
    if (!isAllowed(id, cap, ns)) throw errors.permissionDenied();
  };
  const readable = (id: Identity, allocs: AllocRecord[]) =>
    allocs.filter((a) => isAllowed(id, READ_JOB, a.Namespace));

  r.get('/v1/nodes', async (req, res) => {
    need(await who(req), NODE_READ);
    const prefix = typeof req.query['prefix'] === 'string' ? req.query['prefix'] : '';
    sendJson(
      req,
      res,
      (await deps.registry.listNodes()).filter((n) => n.ID.startsWith(prefix)).map(nodeStub),
    );
  });

  r.get('/v1/node/:node_id', async (req, res) => {
    need(await who(req), NODE_READ);
    const id = req.params['node_id'] ?? '';
    const n = isUuid(id) ? await deps.registry.getNode(asNodeId(id)) : undefined;
    if (!n) throw notFound('node');
    sendJson(req, res, nodeDetail(n));
  });

  r.get('/v1/node/:node_id/allocations', async (req, res) => {
    const identity = await who(req);
    need(identity, NODE_READ);
    const id = req.params['node_id'] ?? '';
    if (!isUuid(id) || !(await deps.registry.getNode(asNodeId(id)))) throw notFound('node');
    sendJson(
      req,
      res,
      readable(identity, await deps.registry.listAllocs({ nodeId: asNodeId(id) })).map(allocStub),
    );
  });

  r.get('/v1/allocations', async (req, res) => {
    const identity = await who(req);
    const prefix = typeof req.query['prefix'] === 'string' ? req.query['prefix'] : undefined;
    const namespace = typeof req.query['namespace'] === 'string' ? req.query['namespace'] : 'default';
    const allocs = await deps.registry.listAllocs({ ...(prefix ? { prefix } : {}), namespace });
    sendJson(req, res, readable(identity, allocs).map(allocStub));
  });

  r.get('/v1/allocation/:alloc_id', async (req, res) => {
    const identity = await who(req);
    const id = req.params['alloc_id'] ?? '';
    const a = isUuid(id) ? await deps.registry.getAlloc(id as AllocRecord['ID']) : undefined;
    if (!a) throw notFound('alloc');
    need(identity, READ_JOB, a.Namespace);
    sendJson(req, res, allocStub(a));
  });

  r.get('/v1/agent/health', (req, res) => sendJson(req, res, { server: { message: 'ok', ok: true } }));

  r.get('/v1/metrics', async (_req, res) => {
    if (!deps.metrics) throw errors.notFound();
    res
      .status(200)
      .set('Content-Type', deps.metrics.contentType)
      .send(await deps.metrics.text());
  });
  return r;
};

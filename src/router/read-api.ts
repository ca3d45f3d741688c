import { Router, type Request, type Response } from 'express';
import { isAllowed } from '../acl/authorize';
import { tokenFromHeaders } from '../acl/token-header';
import type { Identity } from '../acl/types';
import { errors } from '../errors';
import { indexWatchFor } from '../registry/index-watch';
import type { IndexTable } from '../registry/registry';
import { parseGoBool } from '../wire/go-parse';
import { asNodeId, isUuid, type AllocRecord, type NodeRecord, type RouteCapability } from '../wire';
import { blockingRead, setQueryMeta } from './blocking';
import type { GatewayDeps } from './deps';
import { sendJson } from '../http/json';
import { allocation, allocationStub, node, nodeStub } from './read-shapes';

const NODE_READ: RouteCapability = { kind: 'node', level: 'read' };
const READ_JOB: RouteCapability = { kind: 'namespace', anyOf: ['read-job'] };
const NODES: readonly IndexTable[] = ['nodes'];
/** Allocation reads show their node's name and derive `lost` from its status. */
const ALLOCS: readonly IndexTable[] = ['nodes', 'allocs'];

/**
 * Nomad's server read API over the registry, which the Go api client and operators use to find
 * nodes (GET /v1/node/:id gives the HTTPAddr it dials directly): nodes need node read; allocations `read-job` in their namespace, and lists
 * show only what the token can read. Every read is a Nomad blocking query (blocking.ts).
 */
export const readApi = (deps: GatewayDeps): Router => {
  const r = Router({ strict: true, caseSensitive: true });
  const watch = indexWatchFor(deps.registry);
  const who = (req: Request): Promise<Identity> =>
    deps.authenticator.authenticate(tokenFromHeaders(req.headers));
  const need = (id: Identity, cap: RouteCapability, ns?: string) => {
    if (!isAllowed(id, cap, ns)) throw errors.permissionDenied();
  };
  const readable = (id: Identity, allocs: AllocRecord[]) =>
    allocs.filter((a) => isAllowed(id, READ_JOB, a.Namespace));
  /** Node records by ID for a list of allocations: one registry read, not one per allocation. */
  const nodesById = async (): Promise<Map<string, NodeRecord>> =>
    new Map((await deps.registry.listNodes()).map((n) => [n.ID, n]));
  const serve = async <T>(
    req: Request,
    res: Response,
    tables: readonly IndexTable[],
    answer: () => Promise<T>,
    precheck?: () => Promise<unknown>,
  ): Promise<void> => {
    const out = await blockingRead(req, res, watch, tables, answer, precheck);
    if (!out) return;
    setQueryMeta(res, out.index);
    sendJson(req, res, out.body);
  };

  r.get('/v1/nodes', async (req, res) => {
    need(await who(req), NODE_READ);
    const prefix = typeof req.query['prefix'] === 'string' ? req.query['prefix'] : '';
    const q = req.query['resources'];
    const resources = parseGoBool('resources', typeof q === 'string' ? q : '', false);
    await serve(req, res, NODES, async () =>
      (await deps.registry.listNodes())
        .filter((n) => n.ID.startsWith(prefix))
        .map((n) => nodeStub(n, resources)),
    );
  });

  r.get('/v1/node/:node_id', async (req, res) => {
    need(await who(req), NODE_READ);
    const find = async () => {
      const id = req.params['node_id'] ?? '';
      const n = isUuid(id) ? await deps.registry.getNode(asNodeId(id)) : undefined;
      if (!n) throw errors.nodeNotFound();
      return n;
    };
    await serve(req, res, NODES, async () => node(await find()), find);
  });

  r.get('/v1/node/:node_id/allocations', async (req, res) => {
    const identity = await who(req);
    need(identity, NODE_READ);
    const find = async () => {
      const id = req.params['node_id'] ?? '';
      const n = isUuid(id) ? await deps.registry.getNode(asNodeId(id)) : undefined;
      if (!n) throw errors.nodeNotFound();
      return n;
    };
    await serve(
      req,
      res,
      ALLOCS,
      async () => {
        const n = await find();
        const allocs = readable(identity, await deps.registry.listAllocs({ nodeId: n.ID }));
        return allocs.map((a) => allocation(a, n));
      },
      find,
    );
  });

  r.get('/v1/allocations', async (req, res) => {
    const identity = await who(req);
    const prefix = typeof req.query['prefix'] === 'string' ? req.query['prefix'] : undefined;
    const namespace = typeof req.query['namespace'] === 'string' ? req.query['namespace'] : 'default';
    await serve(req, res, ALLOCS, async () => {
      const allocs = readable(
        identity,
        await deps.registry.listAllocs({ ...(prefix ? { prefix } : {}), namespace }),
      );
      const nodes = allocs.length > 0 ? await nodesById() : new Map<string, NodeRecord>();
      return allocs.map((a) => allocationStub(a, nodes.get(a.NodeID)));
    });
  });

  r.get('/v1/allocation/:alloc_id', async (req, res) => {
    const identity = await who(req);
    const find = async () => {
      const id = req.params['alloc_id'] ?? '';
      const a = isUuid(id) ? await deps.registry.getAlloc(id as AllocRecord['ID']) : undefined;
      if (!a) throw errors.allocNotFound();
      need(identity, READ_JOB, a.Namespace);
      return a;
    };
    await serve(
      req,
      res,
      ALLOCS,
      async () => {
        const a = await find();
        return allocation(a, await deps.registry.getNode(a.NodeID));
      },
      find,
    );
  });

  r.get('/v1/agent/health', (req, res) => sendJson(req, res, { server: { message: 'ok', ok: true } }));

  return r;
};

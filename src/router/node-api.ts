import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { tokenFromHeaders } from '../acl';
import type { AclStateFeed } from '../acl/state-feed';
import type { Authenticator } from '../acl';
import { readBody } from '../edge/body';
import { errors } from '../errors';
import { sendJson } from '../http/json';
import { bindRequestLog } from '../log/http';
import type { Logger } from '../log/logger';
import type { NodeAdmission } from '../registry/admission';
import {
  asAllocId,
  asNodeId,
  isUuid,
  JOIN_TOKEN_HEADER,
  ManifestSchema,
  NODE_SECRET_HEADER,
  type AllocManifest,
  type NodeId,
} from '../wire';
import { parseGoDuration } from '../wire/duration';
import { dictSchema } from '../wire/dict';

/**
 * The node API: how agents register, heartbeat, publish their allocations and follow ACL state
 * through a gateway instead of holding registry credentials (paths, bodies and the recovery
 * after a registry loss in docs/node-api.md). Every handler checks the caller's credentials
 * from the headers before it reads a body, so an unauthenticated caller cannot make the
 * gateway buffer or parse anything.
 */
/** Longest a blocking ACL watch is held open. */
const MAX_WATCH_MS = 60_000;
const DEFAULT_JOIN_TTL_MS = 24 * 3600_000;

export interface NodeApiDeps {
  admission: NodeAdmission;
  /** Absent with ACLs off: agents then have no ACL state to follow. */
  aclFeed?: AclStateFeed;
  authenticator: Authenticator;
  logger: Logger;
}

const count = z
  .number()
  .int()
  .min(0)
  .max(2 ** 53);
const nodeResources = z.strictObject({
  Cpu: z.strictObject({
    CpuShares: count,
    ReservableCpuCores: z.array(z.number().int().min(0).max(65_535)).max(65_536),
    TotalCpuCores: z.number().int().min(0).max(65_535),
  }),
  Devices: z.null(),
  Disk: z.strictObject({ DiskMB: count }),
  MaxDynamicPort: z.number().int().min(0).max(65_535),
  Memory: z.strictObject({ MemoryMB: count }),
  MinDynamicPort: z.number().int().min(0).max(65_535),
  Networks: z
    .array(
      z.strictObject({
        CIDR: z.string().max(64),
        DNS: z.null(),
        Device: z.string().max(64),
        DynamicPorts: z.null(),
        Hostname: z.string().max(256),
        IP: z.string().max(64),
        MBits: count,
        Mode: z.literal('host'),
        ReservedPorts: z.null(),
      }),
    )
    .max(64)
    .nullable(),
});
const nodeBody = z.object({
  Node: z.object({
    ID: z.string().refine(isUuid, 'must be a UUID'),
    Name: z.string().min(1).max(256),
    Datacenter: z.string().min(1).max(256),
    HTTPAddr: z.string().max(300),
    AdvertiseURL: z.string().max(300),
    Meta: dictSchema(z, z.string()),
    Version: z.string().max(64),
    NodeResources: nodeResources.optional(),
  }),
  TTLMs: z.number().int().min(1).max(3600_000),
});
const heartbeatBody = z.object({ TTLMs: z.number().int().min(1).max(3600_000) });
const allocsBody = z.object({
  Allocs: z.array(ManifestSchema).max(10_000),
  Complete: z.boolean().default(false),
});
const joinBody = z.object({ Name: z.string().max(256).optional(), ExpirationTTL: z.string().optional() });

const header = (req: Request, name: string): string | undefined => {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v)?.trim() || undefined;
};

/** The JSON body, validated; call only once the caller's credentials were checked. */
const parse = async <T>(req: Request, res: Response, schema: z.ZodType<T>): Promise<T> => {
  const raw = (await readBody(req, res)).toString('utf8');
  let json: unknown;
  try {
    json = raw.trim() ? JSON.parse(raw) : {};
  } catch (e) {
    throw errors.badJsonBody((e as Error).message);
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const first = r.error.issues[0]!;
    throw errors.badBodyField(first.path.join('.') || 'body', first.message);
  }
  return r.data;
};

const nodeParam = (req: Request): NodeId => {
  const id = String(req.params['node_id']);
  if (!isUuid(id)) throw errors.badNodeIdShape();
  return asNodeId(id.toLowerCase());
};

export const createNodeApi = (deps: NodeApiDeps): express.Router => {
  const { admission } = deps;
  const r = express.Router({ strict: true, caseSensitive: true });

  /** The node's own secret, checked before anything it asks for. */
  const authed = async (req: Request): Promise<NodeId> => {
    const id = nodeParam(req);
    await admission.authenticate(id, header(req, NODE_SECRET_HEADER));
    bindRequestLog(req, { node: id });
    return id;
  };

  /** Credentials from the headers first (the ID is in the path), then the body. */
  r.put('/v1/internal/node/:node_id/register', async (req: Request, res: Response) => {
    const id = nodeParam(req);
    const joinToken = header(req, JOIN_TOKEN_HEADER);
    const nodeSecret = header(req, NODE_SECRET_HEADER);
    const creds = { ...(joinToken ? { joinToken } : {}), ...(nodeSecret ? { nodeSecret } : {}) };
    const { joining } = await admission.admit(id, creds);
    bindRequestLog(req, { node: id });
    const body = await parse(req, res, nodeBody);
    if (body.Node.ID.toLowerCase() !== id) throw errors.nodeIdMismatch();
    const out = await admission.register({ ...body.Node, ID: id }, body.TTLMs, creds, joining);
    sendJson(req, res, { NodeID: id, ...(out.secretId ? { SecretID: out.secretId } : {}) });
  });

  r.put('/v1/internal/node/:node_id/heartbeat', async (req: Request, res: Response) => {
    const id = await authed(req);
    const { TTLMs } = await parse(req, res, heartbeatBody);
    if (!(await admission.heartbeat(id, TTLMs))) throw errors.unknownNode(id);
    sendJson(req, res, {});
  });

  r.put('/v1/internal/node/:node_id/allocs', async (req: Request, res: Response) => {
    const id = await authed(req);
    const body = await parse(req, res, allocsBody);
    const allocs = body.Allocs.map((m): AllocManifest => ({ ...m, ID: asAllocId(m.ID.toLowerCase()) }));
    const refused = await admission.putAllocs(id, allocs, body.Complete);
    sendJson(req, res, { Refused: refused });
  });

  r.delete('/v1/internal/node/:node_id/allocs/:alloc_id', async (req: Request, res: Response) => {
    const id = await authed(req);
    const allocId = String(req.params['alloc_id']);
    if (!isUuid(allocId)) throw errors.badAllocIdShape(allocId);
    await admission.removeAlloc(id, asAllocId(allocId.toLowerCase()));
    sendJson(req, res, {});
  });

  /** Blocking watch: answers when the state differs from `?etag`, else after `?wait` (ms). */
  r.get('/v1/internal/node/:node_id/acl', async (req: Request, res: Response) => {
    await authed(req);
    if (!deps.aclFeed) throw errors.aclDisabled();
    const etag = typeof req.query['etag'] === 'string' ? req.query['etag'] : undefined;
    const waitRaw = Number(req.query['wait'] ?? 0);
    const wait = Number.isFinite(waitRaw) ? Math.min(Math.max(0, waitRaw), MAX_WATCH_MS) : 0;
    const ac = new AbortController();
    res.once('close', () => ac.abort());
    const state = await deps.aclFeed.wait(etag, wait, ac.signal);
    if (res.destroyed) return;
    sendJson(req, res, { ETag: state.etag, ...state.snapshot });
  });

  /** Admitting nodes is an operator's act: only a management token creates or revokes join tokens. */
  const joinAllowed = async (req: Request): Promise<void> => {
    const id = await deps.authenticator.authenticate(tokenFromHeaders(req.headers));
    if (!id.acl.management) throw errors.permissionDenied();
  };

  r.post('/v1/acl/join-token', async (req: Request, res: Response) => {
    await joinAllowed(req);
    const body = await parse(req, res, joinBody);
    let ttl = DEFAULT_JOIN_TTL_MS;
    if (body.ExpirationTTL) {
      try {
        ttl = parseGoDuration(body.ExpirationTTL);
      } catch (e) {
        throw errors.badTtl((e as Error).message);
      }
      if (ttl <= 0) throw errors.badTtl('must be positive');
    }
    const issued = await admission.createJoinToken(body.Name ?? '', ttl);
    deps.logger.info({ accessor: issued.AccessorID, name: issued.Name }, 'node join token created');
    sendJson(req, res, issued);
  });

  r.delete('/v1/acl/join-token/:accessor', async (req: Request, res: Response) => {
    await joinAllowed(req);
    await admission.revokeJoinToken(String(req.params['accessor']));
    sendJson(req, res, {});
  });

  return r;
};

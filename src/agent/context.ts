import path from 'node:path';
import type { Request, Response } from 'express';
import { authorizeAudited, isAuditedRoute } from '../acl/audit';
import { authorize } from '../acl/authorize';
import { tokenFromHeaders } from '../acl/token-header';
import type { Identity } from '../acl/types';
import { errors } from '../errors';
import { TERMINAL_STATUSES, type AllocManifest, type RouteDef } from '../wire';
import type { AgentAppDeps } from './deps';
import type { AgentRequestContext, LocalAlloc } from './types';

export const allocDirOf = (dataDir: string, id: string): string => path.join(dataDir, 'alloc', id);

export const isTerminal = (m: AllocManifest): boolean => TERMINAL_STATUSES.includes(m.ClientStatus);

export const toLocalAlloc = (dataDir: string, manifest: AllocManifest): LocalAlloc => ({
  manifest,
  dir: allocDirOf(dataDir, manifest.ID),
  // Adopted tasks count as started unless the alloc is still pending (design.md).
  taskStarted: (task) => manifest.ClientStatus !== 'pending' && manifest.Tasks.includes(task),
});

/**
 * The per-request context handed to every agent handler: alloc lookup (existence before ACL,
 * spec §13 #27), authorization with the alloc's namespace, and a signal for client disconnects.
 */
export const buildContext = (
  deps: AgentAppDeps,
  route: RouteDef,
  req: Request,
  res: Response,
): AgentRequestContext => {
  const ac = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) ac.abort();
  });
  let identity: Promise<Identity> | undefined;
  const who = (): Promise<Identity> => {
    identity ??= deps.authenticator.authenticate(tokenFromHeaders(req.headers)).then((id) => {
      req.log?.setBindings({ accessor: id.accessorId });
      return id;
    });
    return identity;
  };
  // fs/logs/GC decisions write one audit line each (bytes sent at the end); with ACLs off there
  // is no decision to record. Operators may call agents directly, so they audit like the gateway.
  const audited = deps.authenticator.enabled && isAuditedRoute(route);
  const decide = async (namespace?: string, allocId?: string): Promise<void> => {
    const identity = await who();
    if (!audited) return authorize(identity, route.capability, namespace);
    // A repeated parameter is served with its first value (as Nomad does): audit that one.
    const q = req.query['path'];
    const first = Array.isArray(q) ? q[0] : q;
    const file = typeof first === 'string' ? first : undefined;
    authorizeAudited(
      deps.logger,
      identity,
      route.capability,
      {
        path: req.path,
        nodeId: deps.node.id,
        ...(namespace !== undefined ? { namespace } : {}),
        ...(allocId !== undefined ? { allocId } : {}),
        ...(file !== undefined ? { file } : {}),
      },
      res,
    );
  };
  return {
    signal: ac.signal,
    async resolveAlloc(allocId) {
      const manifest = deps.manifests.get(allocId) ?? deps.manifests.get(allocId.toLowerCase());
      if (!manifest) throw errors.unknownAlloc(allocId);
      req.log?.setBindings({ alloc: manifest.ID });
      await decide(manifest.Namespace, manifest.ID);
      return toLocalAlloc(deps.dataDir, manifest);
    },
    holdFollower(alloc) {
      deps.followers?.admit(alloc.manifest.ID, res);
    },
    async authorizeNode() {
      await decide();
    },
  };
};

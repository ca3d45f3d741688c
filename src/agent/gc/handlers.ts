import { allocIdParam } from '../../wire';
import type { AgentAppDeps } from '../deps';
import { checkNodeQuery } from '../node/target';
import { sendEmpty } from '../respond';
import type { AgentHandler } from '../types';

/** GET /v1/client/allocation/:alloc_id/gc (spec §5.11): unknown → 404, ACL → 403, not eligible → 500. */
export const allocGc =
  (deps: AgentAppDeps): AgentHandler =>
  async (req, res, ctx) => {
    const alloc = await ctx.resolveAlloc(allocIdParam(req.params));
    await deps.gc.collect(alloc.manifest.ID);
    sendEmpty(res);
  };

/** GET /v1/client/gc (spec §5.12): returns at once, destruction continues in the background. */
export const gcAll =
  (deps: AgentAppDeps): AgentHandler =>
  async (req, res, ctx) => {
    checkNodeQuery(req, deps.node.id);
    await ctx.authorizeNode();
    deps.gc.collectAll();
    sendEmpty(res);
  };

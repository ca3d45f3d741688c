import { allocIdParam } from '../../wire';
import type { AgentAppDeps } from '../deps';
import { checkNodeQuery } from '../node/target';
import { queryParam, sendJson } from '../respond';
import type { AgentHandler } from '../types';

/** GET /v1/client/stats (spec §5.3). */
export const hostStats =
  (deps: AgentAppDeps): AgentHandler =>
  async (req, res, ctx) => {
    checkNodeQuery(req, deps.node.id);
    await ctx.authorizeNode();
    sendJson(req, res, await deps.hostStats.current());
  };

/** GET /v1/client/allocation/:alloc_id/stats (spec §5.4); `?task=` filters, unknown task → empty Tasks. */
export const allocStats =
  (deps: AgentAppDeps): AgentHandler =>
  async (req, res, ctx) => {
    const alloc = await ctx.resolveAlloc(allocIdParam(req.params));
    sendJson(req, res, await deps.allocStats.usage(alloc.manifest, queryParam(req, 'task')));
  };

import { randomUUID } from 'node:crypto';
import { allocIdParam } from '../../wire';
import type { AgentAppDeps } from '../deps';
import { sendJson } from '../respond';
import type { AgentHandler } from '../types';

/**
 * POST /v1/allocation/:alloc_id/stop — Nomad's server API, answered by the node that runs the
 * allocation. Returns at once (as Nomad does, with an evaluation id); the manifest turns
 * `complete` when the tasks have exited.
 */
export const allocStop =
  (deps: AgentAppDeps): AgentHandler =>
  async (req, res, ctx) => {
    const alloc = await ctx.resolveAlloc(allocIdParam(req.params));
    await deps.runner.stop(alloc.manifest.ID);
    sendJson(req, res, { EvalID: randomUUID(), Index: 0 });
  };

import { readBody } from '../../edge/body';
import type { AgentAppDeps } from '../deps';
import { checkNodeTarget } from '../node/target';
import { queryParam, sendJson } from '../respond';
import type { AgentHandler } from '../types';
import { parseMetaApplyBody, validateMetaUpdate } from './validate';

/** GET /v1/client/metadata (spec §5.1). */
export const metadataRead =
  (deps: AgentAppDeps): AgentHandler =>
  async (req, res, ctx) => {
    checkNodeTarget(deps.node.id, queryParam(req, 'node_id'));
    await ctx.authorizeNode();
    sendJson(req, res, deps.meta.snapshot());
  };

/**
 * POST /v1/client/metadata: the caller's node write right first (node rights are fleet-wide, so
 * nothing of the body is read for a caller who may not write), then body errors, then the node
 * (a non-empty `?node_id` overrides body `NodeID`), then validation.
 */
export const metadataApply =
  (deps: AgentAppDeps): AgentHandler =>
  async (req, res, ctx) => {
    await ctx.authorizeNode();
    const body = parseMetaApplyBody((await readBody(req, res)).toString('utf8'));
    checkNodeTarget(deps.node.id, queryParam(req, 'node_id') || (body.NodeID ?? ''));
    const update = validateMetaUpdate(body.Meta);
    sendJson(req, res, await deps.meta.apply(update));
  };

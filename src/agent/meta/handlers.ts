import type { Request } from 'express';
import getRawBody from 'raw-body';
import { HttpError } from '../../errors';
import type { AgentAppDeps } from '../deps';
import { checkNodeTarget } from '../node/target';
import { queryParam, sendJson } from '../respond';
import type { AgentHandler } from '../types';
import { parseMetaApplyBody, validateMetaUpdate } from './validate';

/** Metadata bodies are small; cap them so a client cannot make the agent buffer without bound. */
const MAX_BODY = 1 << 20;

/** The body as text; raw-body enforces the limit (413) and reports an aborted upload (400). */
const readBody = async (req: Request): Promise<string> => {
  try {
    return await getRawBody(req, { limit: MAX_BODY, encoding: 'utf-8' });
  } catch (e) {
    const err = e as { status?: number; message?: string };
    throw new HttpError(err.status ?? 400, `request body: ${err.message ?? String(e)}`);
  }
};

/** GET /v1/client/metadata (spec §5.1). */
export const metadataRead =
  (deps: AgentAppDeps): AgentHandler =>
  async (req, res, ctx) => {
    checkNodeTarget(deps.node.id, queryParam(req, 'node_id'));
    await ctx.authorizeNode();
    sendJson(req, res, deps.meta.snapshot());
  };

/**
 * POST /v1/client/metadata (spec §5.2): body errors, then the node (a non-empty `?node_id`
 * overrides body `NodeID`), then ACL node write (before validation), then validation.
 */
export const metadataApply =
  (deps: AgentAppDeps): AgentHandler =>
  async (req, res, ctx) => {
    const body = parseMetaApplyBody(await readBody(req));
    checkNodeTarget(deps.node.id, queryParam(req, 'node_id') || (body.NodeID ?? ''));
    await ctx.authorizeNode();
    const update = validateMetaUpdate(body.Meta);
    sendJson(req, res, await deps.meta.apply(update));
  };

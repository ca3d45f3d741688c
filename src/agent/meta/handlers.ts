import { sendJson } from '../../http/json';
import { validateMetaUpdate } from '../../wire';
import type { AgentAppDeps } from '../deps';
import type { AgentHandler } from '../types';

/** The node's metadata: static, dynamic and their merge. */
export const metadataRead =
  (deps: AgentAppDeps): AgentHandler<'metadata.read'> =>
  async (req, res) => {
    sendJson(req, res, deps.meta.snapshot());
  };

/**
 * Applies a metadata update. The kernel parsed the body and checked node write; the keys are
 * validated here, after the ACL check, as Nomad does.
 */
export const metadataApply =
  (deps: AgentAppDeps): AgentHandler<'metadata.apply'> =>
  async (req, res, { body }) => {
    sendJson(req, res, await deps.meta.apply(validateMetaUpdate(body.Meta)));
  };

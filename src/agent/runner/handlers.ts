import { randomUUID } from 'node:crypto';
import { sendJson } from '../../http/json';
import type { AgentAppDeps } from '../deps';
import type { AgentHandler } from '../types';

/**
 * Stops an allocation's tasks — Nomad's server API, answered by the node that runs it. Returns
 * at once (as Nomad does, with an evaluation id); the manifest turns `complete` when the tasks
 * have exited.
 */
export const allocStop =
  (deps: AgentAppDeps): AgentHandler<'alloc.stop'> =>
  async (req, res, { alloc }) => {
    await deps.runner.stop(alloc.manifest.ID);
    sendJson(req, res, { EvalID: randomUUID(), Index: 0 });
  };

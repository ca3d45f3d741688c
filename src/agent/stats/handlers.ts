import { sendJson } from '../../http/json';
import type { AgentAppDeps } from '../deps';
import type { AgentHandler } from '../types';

/** Host statistics. */
export const hostStats =
  (deps: AgentAppDeps): AgentHandler<'stats.host'> =>
  async (req, res) => {
    sendJson(req, res, await deps.hostStats.current());
  };

/** Allocation resource usage; `?task=` filters, and an unknown task gives empty Tasks (not an error). */
export const allocStats =
  (deps: AgentAppDeps): AgentHandler<'alloc.stats'> =>
  async (req, res, { alloc, params }) => {
    sendJson(req, res, await deps.allocStats.usage(alloc.manifest, params.task));
  };

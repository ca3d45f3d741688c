import { sendEmpty } from '../../http/json';
import type { AgentAppDeps } from '../deps';
import type { AgentHandler } from '../types';

/** Destroys one allocation's local state: 500 when it is still running or already collected. */
export const allocGc =
  (deps: AgentAppDeps): AgentHandler<'alloc.gc'> =>
  async (_req, res, { alloc }) => {
    await deps.gc.collect(alloc.manifest.ID);
    sendEmpty(res);
  };

/** Schedules the collection of every eligible allocation and returns at once. */
export const gcAll =
  (deps: AgentAppDeps): AgentHandler<'gc.all'> =>
  async (_req, res) => {
    deps.gc.collectAll();
    sendEmpty(res);
  };

import { HttpError } from '../errors';
import type { AgentAppDeps } from './deps';
import { allocGc, gcAll } from './gc/handlers';
import { metadataApply, metadataRead } from './meta/handlers';
import { allocStop } from './runner/handlers';
import { allocStats, hostStats } from './stats/handlers';
import type { AgentHandler, AgentHandlers } from './types';

// ---- fs/logs handlers: PLACEHOLDER until src/agent/fs/handlers.ts lands (one-line swap) ----
const notYet: AgentHandler = async () => {
  throw new HttpError(501, 'fs endpoints not available yet');
};
const fsHandlers = {
  'fs.ls': notYet,
  'fs.stat': notYet,
  'fs.cat': notYet,
  'fs.readat': notYet,
  'fs.stream': notYet,
  'fs.logs': notYet,
} satisfies Partial<AgentHandlers>;
// ---- end placeholder ----

/** One handler per route row: a row without a handler does not compile (design.md). */
export const buildHandlers = (deps: AgentAppDeps): AgentHandlers =>
  ({
    'metadata.read': metadataRead(deps),
    'metadata.apply': metadataApply(deps),
    'stats.host': hostStats(deps),
    'gc.all': gcAll(deps),
    'alloc.stats': allocStats(deps),
    'alloc.gc': allocGc(deps),
    'alloc.stop': allocStop(deps),
    ...fsHandlers,
    ...deps.handlerOverrides,
  }) satisfies AgentHandlers;

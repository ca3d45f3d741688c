import { sendMetrics } from '../http/metrics';
import type { Metrics } from '../log/metrics';
import type { AgentAppDeps } from './deps';
import { fsHandlers } from './fs/handlers';
import { allocGc, gcAll } from './gc/handlers';
import { logsHandlers } from './logs/handlers';
import { metadataApply, metadataRead } from './meta/handlers';
import { allocStop } from './runner/handlers';
import { allocStats, hostStats } from './stats/handlers';
import type { AgentHandlers } from './types';

/** One handler per route row: a row without a handler does not compile. */
export const buildHandlers = (deps: AgentAppDeps, metrics: Metrics): AgentHandlers => ({
  'metadata.read': metadataRead(deps),
  'metadata.apply': metadataApply(deps),
  'stats.host': hostStats(deps),
  'gc.all': gcAll(deps),
  'alloc.stats': allocStats(deps),
  'alloc.gc': allocGc(deps),
  'alloc.stop': allocStop(deps),
  metrics: (_req, res) => sendMetrics(res, metrics),
  ...fsHandlers,
  ...logsHandlers,
  ...deps.handlerOverrides,
});

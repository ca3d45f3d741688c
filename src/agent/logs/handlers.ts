import type { AgentHandlers } from '../types';
import { streamLogs } from './logs';

/** `/fs/logs`: the task's log files walked in index order (see logs.ts). */
export const logsHandlers: Pick<AgentHandlers, 'fs.logs'> = {
  'fs.logs': (_req, res, { params, alloc, signal, holdFollower }) => {
    if (params.follow) holdFollower();
    return streamLogs(res, signal, alloc, params);
  },
};

import type { ServerResponse as Response } from 'node:http';
import { errors } from '../../errors';
import { formatLogStart, LOG_START_HEADER, type LogsParams } from '../../wire';
import { allocRoot, isCode } from '../allocdir';
import { streamFramed } from '../framer';
import type { LocalAlloc } from '../types';
import { listLogFiles, startPosition } from './log-files';
import { walkLogs } from './walk';

/**
 * /fs/logs after parameter validation and alloc resolution: task checks and the
 * "no log files" 404 happen before any byte; then `text/plain` raw bytes (`plain=true`) or
 * `application/json` frames. An error once streaming has started is appended as text
 * (docs/wire.md, "Stream frames").
 */
export const streamLogs = async (
  res: Response,
  signal: AbortSignal,
  alloc: LocalAlloc,
  p: LogsParams,
): Promise<void> => {
  if (!alloc.manifest.Tasks.includes(p.task)) throw errors.unknownTask(p.task);
  if (!alloc.taskStarted(p.task)) throw errors.taskNotStarted(p.task);
  const root = await allocRoot(alloc);
  const files = await listLogFiles(root, p.task, p.type).catch((e: unknown) => {
    // No logs directory at all means no log files (logging disabled), not a server fault.
    if (errors.listEntriesFailed.is(e) && isCode(e.cause, 'ENOENT')) return [];
    throw e;
  });
  if (files.length === 0) throw errors.logNotFound(p.task, p.type);
  // The start is fixed from this listing and named in a header, so a follower knows it exactly
  // even before the first byte (see LOG_START_HEADER).
  const start = startPosition(files, p.origin, p.offset)!;
  res.setHeader(LOG_START_HEADER, formatLogStart({ index: start.file.index, offset: start.offset }));

  await streamFramed(
    res,
    signal,
    p.plain ? 'text/plain' : 'application/json',
    p.plain ? 'plain' : 'json',
    (framer) =>
      walkLogs({
        alloc,
        root,
        task: p.task,
        type: p.type,
        files,
        start,
        follow: p.follow,
        framer,
        signal,
      }),
  );
};

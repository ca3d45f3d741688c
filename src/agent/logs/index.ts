export {
  findClosest,
  startPosition,
  listLogFiles,
  logIndexOf,
  LOGS_DIR,
  type LogFile,
  type Position,
} from './log-files';
export { walkLogs, type WalkOptions } from './walk';
export { streamLogs } from './logs';

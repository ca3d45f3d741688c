export * from './errors';
export * from './port';
export { readFrames, type StreamItem, type ReadFramesOptions } from './read-frames';
export {
  followLogs,
  followFile,
  DEFAULT_RETRY,
  type RetryPolicy,
  type FollowHooks,
  type DownState,
} from './follow';
export {
  logResumePoint,
  tailPosition,
  streamCheck,
  reachedEnd,
  listLogFiles,
  type Position,
  type LogFile,
} from './resume';
export { Endpoint, readAll, normalizeBase, buildPath, type RequestSpec, type Query } from './endpoint';

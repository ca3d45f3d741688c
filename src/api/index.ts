export { FleetgateClient } from './client';
export * from './errors';
export {
  readFrames,
  followLogs,
  followFile,
  DEFAULT_RETRY,
  type StreamItem,
  type RetryPolicy,
  type FollowHooks,
  type DownState,
  type Position,
} from '../wire/follow';
export { resolveAllocId, resolveNodeId, ShortPrefixError, MIN_PREFIX } from './prefix';
export { normalizeBase, readAll } from '../wire/follow/endpoint';
export type { Opened } from '../wire/follow';
export type { OpenedDownload } from './route';
export * from './types';
export { taskNames } from './tasks';

export { FleetgateClient } from './client';
export * from './errors';
export { readFrames, type StreamItem } from './frames';
export { followLogs, followFile, DEFAULT_RETRY, type RetryPolicy, type FollowHooks } from './follow';
export { resolveAllocId, resolveNodeId, ShortPrefixError, MIN_PREFIX } from './prefix';
export { normalizeBase } from './http';
export type { Opened } from './route';
export * from './types';
export { taskNames } from './tasks';

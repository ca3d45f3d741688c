import path from 'node:path';
import { TERMINAL_STATUSES, type AllocManifest } from '../wire';
import type { LocalAlloc } from './types';

export const allocDirOf = (dataDir: string, id: string): string => path.join(dataDir, 'alloc', id);

export const isTerminal = (m: AllocManifest): boolean => TERMINAL_STATUSES.includes(m.ClientStatus);

export const toLocalAlloc = (dataDir: string, manifest: AllocManifest): LocalAlloc => ({
  manifest,
  dir: allocDirOf(dataDir, manifest.ID),
  // Adopted tasks count as started unless the alloc is still pending: a manifest dropped in by
  // another program has no task events to say otherwise.
  taskStarted: (task) => manifest.ClientStatus !== 'pending' && manifest.Tasks.includes(task),
});

import { z } from 'zod';
import { asAllocId, isUuid, type AllocManifest } from '../../wire';

/**
 * Unix nanoseconds exceed 2^53, so zod's `.int()` (safe integers only) would reject every real
 * timestamp; any non-negative integral number is accepted instead.
 */
const unixNs = z.number().nonnegative().refine(Number.isInteger, 'must be an integer (Unix nanoseconds)');

/** `client/allocs/<id>.json`, the agent's input from whatever runs the tasks. Any program may write one, so it is validated. */
export const ManifestSchema = z.object({
  ID: z.string().refine(isUuid, 'must be a UUID'),
  Namespace: z.string().min(1),
  JobID: z.string().min(1),
  TaskGroup: z.string().min(1),
  Name: z.string(),
  Tasks: z.array(z.string().min(1)),
  ClientStatus: z.enum(['pending', 'running', 'complete', 'failed', 'lost']),
  CreateTime: unixNs,
  ModifyTime: unixNs,
});

export const parseManifest = (text: string): AllocManifest => {
  const m = ManifestSchema.parse(JSON.parse(text));
  return { ...m, ID: asAllocId(m.ID.toLowerCase()) };
};

/** Unix nanoseconds as a JS number (loses sub-microsecond precision; fine for timestamps). */
export const nowNs = (): number => Date.now() * 1e6;

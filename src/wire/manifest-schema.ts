import { z } from 'zod';
import { isUuid } from './ids';

/**
 * Unix nanoseconds exceed 2^53, so zod's `.int()` (safe integers only) would reject every real
 * timestamp; any non-negative integral number is accepted instead.
 */
const unixNs = z.number().nonnegative().refine(Number.isInteger, 'must be an integer (Unix nanoseconds)');

/** An allocation manifest (`client/allocs/<id>.json`, and the node API body). Any program may write one, so it is validated. */
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

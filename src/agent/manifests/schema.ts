import { z } from 'zod';
import { asAllocId, isUuid, type AllocManifest } from '../../wire';

/** `client/allocs/<id>.json` (design.md). Any program may write one, so it is validated. */
export const ManifestSchema = z.object({
  ID: z.string().refine(isUuid, 'must be a UUID'),
  Namespace: z.string().min(1),
  JobID: z.string().min(1),
  TaskGroup: z.string().min(1),
  Name: z.string(),
  Tasks: z.array(z.string().min(1)),
  ClientStatus: z.enum(['pending', 'running', 'complete', 'failed', 'lost']),
  CreateTime: z.number().int().nonnegative(),
  ModifyTime: z.number().int().nonnegative(),
});

export const parseManifest = (text: string): AllocManifest => {
  const m = ManifestSchema.parse(JSON.parse(text));
  return { ...m, ID: asAllocId(m.ID.toLowerCase()) };
};

/** Unix nanoseconds as a JS number (loses sub-microsecond precision; fine for timestamps). */
export const nowNs = (): number => Date.now() * 1e6;

import { z } from 'zod';
import { errors } from '../../errors';

/** HCL native-syntax identifier, checked per `.` segment (spec §5.2). */
const SEGMENT = /^[\p{ID_Start}_][\p{ID_Continue}-]*$/u;

export const isValidMetaKey = (key: string): boolean => key.split('.').every((s) => SEGMENT.test(s));

/** Body of POST /v1/client/metadata. Unknown top-level fields are ignored (spec §5.2). */
export const MetaApplyBody = z.object({
  NodeID: z.string().optional(),
  Meta: z.record(z.string(), z.string().nullable()).nullable().optional(),
});
export type MetaApplyBody = z.infer<typeof MetaApplyBody>;

/** Parse the raw request body: empty → 400, malformed JSON or wrong types → 400 with the reason. */
export const parseMetaApplyBody = (raw: string): MetaApplyBody => {
  if (raw.trim() === '') throw errors.emptyBody();
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw errors.badRequest(`invalid JSON body: ${(err as Error).message}`);
  }
  const parsed = MetaApplyBody.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'body';
    throw errors.badRequest(`invalid request body: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
};

/** The node-side validation (spec §5.2), with Nomad's exact messages. Go's `%q` ≈ JSON quoting. */
export const validateMetaUpdate = (
  meta: Record<string, string | null> | null | undefined,
): Record<string, string | null> => {
  if (!meta || Object.keys(meta).length === 0) throw errors.badRequest('missing required Meta object');
  for (const key of Object.keys(meta)) {
    if (key === '') throw errors.badRequest('metadata keys must not be empty');
    if (!isValidMetaKey(key)) {
      throw errors.badRequest(
        `${JSON.stringify(key)} is invalid; metadata keys must be valid dotted hcl identifiers`,
      );
    }
  }
  return meta;
};

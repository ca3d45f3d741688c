import type * as Zod from 'zod';
import { errors } from '../errors';
import { dictSchema } from './dict';

/**
 * A metadata key is a dotted HCL identifier: each `.` segment starts with a Unicode ID_Start
 * character or `_`, then ID_Continue characters or `-` (Nomad runs HCL's scanner, not a regex).
 */
const SEGMENT = /^[\p{ID_Start}_][\p{ID_Continue}-]*$/u;

export const isValidMetaKey = (key: string): boolean => key.split('.').every((s) => SEGMENT.test(s));

/** Body of POST /v1/client/metadata. Unknown top-level fields are ignored, as Nomad's decoder does. */
const buildSchema = ({ z }: typeof Zod) =>
  z.object({
    NodeID: z.string().optional(),
    // Prototype-less, so a `__proto__` key is applied like any other (src/wire/dict.ts).
    Meta: dictSchema(z, z.string().nullable()).nullable().optional(),
  });
export type MetaApplyBody = Zod.infer<ReturnType<typeof buildSchema>>;

let schema: ReturnType<typeof buildSchema> | undefined;
/**
 * zod is loaded when the first metadata body is parsed, not when the route table is: every CLI
 * command reads the table, and loading zod was a third of `fleetgate alloc fs`'s start-up CPU.
 */
const metaApplySchema = (): ReturnType<typeof buildSchema> =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (schema ??= buildSchema(require('zod') as typeof Zod));

/** Parse the raw request body: empty → 400, malformed JSON or wrong types → 400 with the reason. */
export const parseMetaApplyBody = (raw: string): MetaApplyBody => {
  if (raw.trim() === '') throw errors.emptyBody();
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw errors.badJsonBody((err as Error).message);
  }
  const parsed = metaApplySchema().safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'body';
    throw errors.badBodyField(where, issue?.message ?? 'invalid');
  }
  return parsed.data;
};

/** The node-side validation, with Nomad's exact messages (run after the ACL check). */
export const validateMetaUpdate = (
  meta: Record<string, string | null> | null | undefined,
): Record<string, string | null> => {
  if (!meta || Object.keys(meta).length === 0) throw errors.missingMeta();
  for (const key of Object.keys(meta)) {
    if (key === '') throw errors.emptyMetaKey();
    if (!isValidMetaKey(key)) {
      throw errors.badMetaKey(key);
    }
  }
  return meta;
};

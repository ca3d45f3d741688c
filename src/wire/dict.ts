import type * as Zod from 'zod';

/**
 * Maps whose keys come from outside (node metadata, task names, namespace names in a policy)
 * are built without a prototype. On a plain `{}`, assigning the key `__proto__` sets the
 * object's prototype instead of adding an entry, so the entry silently disappears (and
 * `constructor` or `toString` read back as inherited functions). `Object.create(null)` has no
 * such keys: every string is an ordinary entry. Spread, `Object.fromEntries`, `JSON.parse` and
 * `JSON.stringify` already treat `__proto__` as an ordinary key; assignment and zod's own
 * `z.record` do not.
 */
export type Dict<V> = Record<string, V>;

/** An empty prototype-less map, optionally filled from entries (in order; later wins). */
export const dict = <V>(entries: Iterable<readonly [string, V]> = []): Dict<V> => {
  const out = Object.create(null) as Dict<V>;
  for (const [k, v] of entries) out[k] = v;
  return out;
};

/** A prototype-less copy of a map (own enumerable keys only). */
export const dictOf = <V>(from: Readonly<Record<string, V>>): Dict<V> => dict(Object.entries(from));

/**
 * zod's `record(key, value)`, but the parsed map is prototype-less and keeps every key: zod 4
 * builds its result on `{}` by assignment, so a `__proto__` key vanishes before any refinement
 * can see it. Takes the caller's `z` so a caller that loads zod lazily keeps doing so. Issues
 * carry the key in their path, as `z.record`'s do.
 */
export const dictSchema = <V extends Zod.ZodType>(
  z: typeof Zod.z,
  value: V,
  key?: Zod.ZodType<string>,
): Zod.ZodType<Dict<Zod.output<V>>, Readonly<Record<string, Zod.input<V>>>> =>
  z
    .custom<Readonly<Record<string, unknown>>>(
      (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
      'expected an object',
    )
    .transform((input, ctx) => {
      const out = dict<Zod.output<V>>();
      for (const k of Object.keys(input)) {
        const badKey = key?.safeParse(k);
        if (badKey && !badKey.success)
          for (const issue of badKey.error.issues)
            ctx.addIssue({ code: 'custom', message: issue.message, path: [k], input: k });
        const parsed = value.safeParse(input[k]);
        if (parsed.success) out[k] = parsed.data;
        else
          for (const issue of parsed.error.issues)
            ctx.addIssue({
              code: 'custom',
              message: issue.message,
              path: [k, ...issue.path],
              input: input[k],
            });
      }
      return out;
    }) as unknown as Zod.ZodType<Dict<Zod.output<V>>, Readonly<Record<string, Zod.input<V>>>>;

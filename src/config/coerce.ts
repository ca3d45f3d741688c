/**
 * String-to-value coercion of environment variables and flags, kept apart from the zod schemas
 * of sources.ts so the CLI's client commands can read a boolean variable without loading zod.
 * Numbers and booleans that do not parse stay strings, so validation reports them naming the key.
 */
export const num = (v: string | undefined): number | string | undefined =>
  v === undefined || v === '' ? undefined : /^\d+$/.test(v) ? Number(v) : v;
export const bool = (v: string | undefined): boolean | string | undefined =>
  v === undefined || v === ''
    ? undefined
    : ['1', 'true'].includes(v)
      ? true
      : ['0', 'false'].includes(v)
        ? false
        : v;

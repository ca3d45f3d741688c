/**
 * A word as a POSIX shell reads it back: printed commands are meant to be pasted, so a path
 * with a space or a quote in it must not split or break the line.
 */
export const shellWord = (s: string): string =>
  /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;

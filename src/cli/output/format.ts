/** Human formatting helpers shared by the operator commands (Nomad's look where it has one). */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export const humanBytes = (n: number): string => {
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${UNITS[u]}`;
};

/** Unix nanoseconds (Nomad's CreateTime/ModifyTime) → RFC 3339 without fractions. */
export const nanosToIso = (ns: number | undefined): string =>
  ns ? new Date(Math.floor(ns / 1e6)).toISOString().replace(/\.\d{3}Z$/, 'Z') : '<none>';

export const isoSeconds = (iso: string): string => iso.replace(/\.\d+(Z|[+-]\d\d:\d\d)$/, '$1');

export const shortId = (id: string): string => id.slice(0, 8);

/** `Key = value` blocks like `nomad alloc status`. */
export const keyValues = (pairs: ReadonlyArray<readonly [string, string]>): string => {
  const w = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(w)} = ${v}`).join('\n') + '\n';
};

/** Columns separated by two spaces, left aligned, first row is the header. */
export const table = (rows: ReadonlyArray<readonly string[]>): string => {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return (
    rows
      .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  '))
      .join('\n') + '\n'
  );
};

export const json = (v: unknown): string => JSON.stringify(v, null, 2) + '\n';

export const percent = (v: number): string => `${v.toFixed(2)}%`;

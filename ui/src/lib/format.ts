/** Display helpers shared by the pages. */
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export const formatBytes = (n: number): string => {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${UNITS[u]}`;
};

export const formatPercent = (p: number): string => `${p.toFixed(p < 10 ? 1 : 0)}%`;

export const shortId = (id: string): string => id.slice(0, 8);

/** "12 s ago", "5 min ago", or a date for old times. */
export const ago = (ms: number, now = Date.now()): string => {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(ms).toISOString().slice(0, 10);
};

/** Nomad times are Unix nanoseconds. */
export const fromNanos = (ns: number): string =>
  new Date(ns / 1e6).toISOString().replace('T', ' ').slice(0, 19);

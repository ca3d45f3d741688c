/**
 * Go's RFC 3339 with nanoseconds, as Nomad's JSON writes a `time.Time`: fraction trimmed of
 * trailing zeros (none if zero), in the local zone as `±hh:mm`, or `Z` for UTC. Input is
 * nanoseconds as a bigint so nothing is lost to float milliseconds.
 */
export const formatGoTime = (ns: bigint): string => {
  const NS_PER_S = 1_000_000_000n;
  let secs = ns / NS_PER_S;
  let frac = ns % NS_PER_S;
  if (frac < 0n) {
    frac += NS_PER_S;
    secs -= 1n;
  }
  const d = new Date(Number(secs) * 1000);
  const offMin = -d.getTimezoneOffset();
  // Shift into local wall-clock time, then read the UTC fields of the shifted instant.
  const local = new Date(d.getTime() + offMin * 60_000);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const date = `${String(local.getUTCFullYear()).padStart(4, '0')}-${p2(local.getUTCMonth() + 1)}-${p2(local.getUTCDate())}`;
  const time = `${p2(local.getUTCHours())}:${p2(local.getUTCMinutes())}:${p2(local.getUTCSeconds())}`;
  const fraction = frac === 0n ? '' : `.${frac.toString().padStart(9, '0').replace(/0+$/, '')}`;
  const zone =
    offMin === 0
      ? 'Z'
      : `${offMin < 0 ? '-' : '+'}${p2(Math.floor(Math.abs(offMin) / 60))}:${p2(Math.abs(offMin) % 60)}`;
  return `${date}T${time}${fraction}${zone}`;
};

/** Go's zero `time.Time` as Nomad's API shows a time that never happened. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * Go's `time.ParseDuration` ("8h", "30m", "1h30m", "1.5h", "500ms"): the one duration parser,
 * for the ACL API's `ExpirationTTL` (as Nomad's API takes it) and the CLI's duration flags.
 * Returns milliseconds; throws with Go's message on bad input.
 */
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

export const parseGoDuration = (input: string): number => {
  const bad = () => new Error(`time: invalid duration ${JSON.stringify(input)}`);
  let s = input;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s.startsWith('-') ? -1 : 1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw bad();
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const m = PART.exec(s);
    if (!m) throw bad();
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return sign * total;
};

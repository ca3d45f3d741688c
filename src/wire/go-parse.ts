import { errors } from '../errors';

/**
 * Query values parsed as Nomad's Go handlers parse them, shared by the agent's fs/logs routes and
 * the gateway's job-wide log stream: the same inputs are accepted and refused with the same 400s.
 */
const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go's strconv.ParseBool; absent/empty gives the route's default. */
export const parseGoBool = (field: string, value: string, dflt: boolean): boolean => {
  if (value === '') return dflt;
  if (GO_TRUE.has(value)) return true;
  if (GO_FALSE.has(value)) return false;
  throw errors.badBool(field, value);
};

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/**
 * Go's strconv.ParseInt(v, 10, 64); absent/empty → 0. Values beyond 2^53 are clamped to the
 * safe range: as file offsets they only ever mean "past the end".
 */
export const parseGoInt = (field: string, value: string): number => {
  if (value === '') return 0;
  if (!/^[+-]?[0-9]+$/.test(value)) throw errors.badInt(field, value);
  const n = BigInt(value);
  if (n > INT64_MAX || n < INT64_MIN) throw errors.badInt(field, value, true);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (n < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(n);
};

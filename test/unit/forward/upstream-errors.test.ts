import { CONNECT_TIMEOUT, IDLE_TIMEOUT, mapUpstreamError } from '../../../src/forward/upstream-errors';

const T = 'http://10.0.0.1:4646';
const table: Array<[string, { code?: string; message: string }, string]> = [
  ['connection refused', { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, 'connection refused'],
  ['connection reset', { code: 'ECONNRESET', message: 'read ECONNRESET' }, 'connection reset by the agent'],
  ['socket hang up', { message: 'socket hang up' }, 'connection reset by the agent'],
  ['OS connect timeout', { code: 'ETIMEDOUT', message: 'connect ETIMEDOUT' }, 'connect timeout'],
  ['our connect timeout', { code: CONNECT_TIMEOUT, message: 'connect timeout' }, 'connect timeout'],
  ['idle timeout', { code: IDLE_TIMEOUT, message: 'idle timeout' }, 'agent did not answer in time'],
  ['host unreachable', { code: 'EHOSTUNREACH', message: 'x' }, 'host unreachable'],
  ['network unreachable', { code: 'ENETUNREACH', message: 'x' }, 'network unreachable'],
  ['DNS failure', { code: 'ENOTFOUND', message: 'x' }, 'cannot resolve the agent address'],
  ['unknown error keeps its message', { code: 'EWEIRD', message: 'weird' }, 'weird'],
];

describe('upstream error mapping', () => {
  test.each(table)('%s before the first byte is 503 No path to node', (_name, err, reason) => {
    expect(mapUpstreamError(err, T, false)).toEqual({
      kind: 'reply',
      status: 503,
      body: `No path to node: ${T}: ${reason}`,
    });
  });
  test.each(table)('%s after bytes were sent is appended text', (_name, err, reason) => {
    expect(mapUpstreamError(err, T, true)).toEqual({
      kind: 'append',
      text: `\nNo path to node: ${T}: ${reason}`,
    });
  });
});

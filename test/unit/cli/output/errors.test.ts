import { ApiError, NetworkError } from '../../../../src/api';
import { describe as describeError } from '../../../../src/cli/output/errors';

describe('CLI error messages say what to do next', () => {
  const api = (status: number, body: string) => new ApiError(status, body, 'http://gw/v1/x', 'gateway');

  it.each([
    [
      api(403, 'Permission denied'),
      /Permission denied \(403 from the gateway\)\nuse a token whose policy allows this/,
    ],
    [api(404, 'Unknown allocation "x"'), /\nlist allocations with: fleetgate operator api \/v1\/allocations/],
    [api(503, 'No path to node: node n is down'), /\nthe gateway cannot reach that node's agent/],
    [
      api(500, 'No such allocation on client, or allocation not eligible for GC'),
      /\(500 from the gateway\)\nonly stopped allocations can be collected: fleetgate alloc stop <alloc> first/,
    ],
    [
      new NetworkError('http://gw', 'ECONNREFUSED', 'connect ECONNREFUSED', 'gateway'),
      /cannot reach http:\/\/gw: connect ECONNREFUSED\nis the gateway running at http:\/\/gw\? set --address or FLEETGATE_ADDR/,
    ],
  ])('%s', (err, expected) => {
    const e = describeError(err, 'http://gw');
    expect(e.message).toMatch(expected);
    expect(e.exitCode).toBe(1);
  });
});

import {
  clientFor,
  normalizeNomadFlags,
  parseDuration,
  addressOf,
} from '../../../../src/cli/commands/op-common';
import { CliError } from '../../../../src/cli/output/errors';

describe('Nomad-style single-dash flags', () => {
  it('rewrites the known ones, keeps short flags, values and everything after --', () => {
    const argv = [
      'node',
      'main',
      'alloc',
      'logs',
      '-json',
      '-f',
      '-stderr',
      '-tail',
      '-n',
      '5',
      '-type=client',
      '-node-id',
      'x',
      '-H',
      'A: b',
      '--',
      '-json',
    ];
    expect(normalizeNomadFlags(argv)).toEqual([
      'node',
      'main',
      'alloc',
      'logs',
      '--json',
      '-f',
      '--stderr',
      '--tail',
      '-n',
      '5',
      '--type=client',
      '--node-id',
      'x',
      '-H',
      'A: b',
      '--',
      '-json',
    ]);
  });
  it('leaves unknown words alone so commander reports them', () => {
    expect(normalizeNomadFlags(['n', 'm', '-bogus'])).toEqual(['n', 'm', '-bogus']);
  });
});

describe('durations and addresses', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['8h', 28_800_000],
    ['250', 250],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
  ])('%s = %i ms', (s, ms) => expect(parseDuration(s)).toBe(ms));
  it('a bad duration is a usage error (exit 2)', () => {
    expect(() => parseDuration('soon')).toThrow(CliError);
    try {
      parseDuration('soon');
    } catch (e) {
      expect((e as CliError).exitCode).toBe(2);
    }
  });
  it('address: flag, then FLEETGATE_ADDR, then NOMAD_ADDR, then the default', () => {
    expect(addressOf({ address: 'http://a:1' }, { FLEETGATE_ADDR: 'http://b:2' })).toBe('http://a:1');
    expect(addressOf({}, { FLEETGATE_ADDR: 'http://b:2', NOMAD_ADDR: 'http://c:3' })).toBe('http://b:2');
    expect(addressOf({}, { NOMAD_ADDR: 'http://c:3' })).toBe('http://c:3');
    expect(addressOf({}, {})).toBe('http://127.0.0.1:4646');
  });
  it('token from FLEETGATE_TOKEN or NOMAD_TOKEN; --direct from FLEETGATE_DIRECT, validated', () => {
    expect(clientFor({}, { NOMAD_TOKEN: 't' }).options.token).toBe('t');
    expect(clientFor({}, { FLEETGATE_TOKEN: 'f', NOMAD_TOKEN: 't' }).options.token).toBe('f');
    expect(clientFor({}, { FLEETGATE_DIRECT: 'never' }).options.direct).toBe('never');
    expect(() => clientFor({ direct: 'maybe' }, {})).toThrow(/--direct must be one of auto, always, never/);
  });
});

import { logFilePrefix, parseLogName } from '../../../src/wire/log-files';

describe('log file names (one rule for agent and client)', () => {
  const prefix = logFilePrefix('web', 'stdout');
  it.each([
    ['web.stdout.0', { kind: 'log', index: 0 }],
    ['web.stdout.12', { kind: 'log', index: 12 }],
    ['web.stdout.007', { kind: 'log', index: 7 }],
    ['web.stdout.+3', { kind: 'log', index: 3 }],
    ['web.stdout.x', { kind: 'bad', suffix: 'x' }],
    ['web.stdout.', { kind: 'bad', suffix: '' }],
    ['web.stderr.0', undefined],
    ['api.stdout.0', undefined],
  ])('%s', (name, want) => expect(parseLogName(name, prefix)).toEqual(want));
});

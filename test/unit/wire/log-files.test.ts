import { formatLogStart, logFilePrefix, parseLogName, parseLogStart } from '../../../src/wire/log-files';

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

describe('the log-start header (where an agent started a logs stream)', () => {
  it('round-trips index and offset, negative indexes included', () => {
    for (const s of [
      { index: 0, offset: 0 },
      { index: 12, offset: 10_485_760 },
      { index: -3, offset: 7 },
    ])
      expect(parseLogStart(formatLogStart(s))).toEqual(s);
  });
  it.each([[undefined], [''], ['1'], ['1:'], [':5'], ['a:1'], ['1:-2'], ['1:2:3'], [['1:2', '3:4']]])(
    '%p is ignored',
    (v) => expect(parseLogStart(v)).toBeUndefined(),
  );
});

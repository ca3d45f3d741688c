import type { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Each command file exports `register(program)`; add one line here per command, under the
 * top-level name it registers. Files load only when their command runs (or for help): the
 * operator commands then skip loading Express, ioredis and the agent, which otherwise costs more
 * start-up CPU than a small `alloc fs` copy itself.
 */
export const COMMANDS: Array<[name: string, load: () => Promise<Register>]> = [
  ['alloc', async () => (await import('./alloc')).register],
  ['job', async () => (await import('./job')).register],
  ['node', async () => (await import('./node')).register],
  ['operator', async () => (await import('./operator')).register],
  ['acl', async () => (await import('./acl')).register],
  ['cluster', async () => (await import('./cluster')).register],
  ['acl', async () => (await import('./acl-keygen')).register],
  ['agent', async () => (await import('./agent')).register],
  ['gateway', async () => (await import('./gateway')).register],
  ['dev', async () => (await import('./dev')).register],
  ['tls', async () => (await import('./tls')).register],
];

/** The commands `argv` runs: those named by its first word, or all of them (help, unknown). */
export const commandsFor = async (argv: readonly string[]): Promise<Register[]> => {
  const first = argv.slice(2).find((a) => !a.startsWith('-'));
  const named = COMMANDS.filter(([name]) => name === first);
  return Promise.all((named.length > 0 ? named : COMMANDS).map(([, load]) => load()));
};

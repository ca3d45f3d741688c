#!/usr/bin/env node
import { Command } from 'commander';
import { VERSION } from '../version';
import { commandsFor } from './commands';

/** Usage errors exit 2, runtime errors 1 (a bad config is one line naming the key, exit 2). */
const program = new Command('fleetgate')
  .description('One URL for the Nomad client HTTP API of a whole fleet')
  .version(VERSION, '-V, --version')
  .showHelpAfterError()
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

/** What to do next, for the errors a newcomer meets first. */
const HINTS: Record<string, string> = {
  EADDRINUSE: 'something already listens there: stop it, or pick another address with --http-addr',
  EACCES: 'not allowed to listen there: use a port above 1023 with --http-addr',
};

const run = async (): Promise<void> => {
  for (const register of await commandsFor(process.argv)) register(program);
  await program.parseAsync(process.argv);
};

run().catch((err: unknown) => {
  const e = err as { exitCode?: number; message?: string; code?: string };
  const hint = e.code ? HINTS[e.code] : undefined;
  process.stderr.write(`fleetgate: ${e.message ?? String(err)}\n${hint ? `${hint}\n` : ''}`);
  process.exit(typeof e.exitCode === 'number' ? e.exitCode : 1);
});

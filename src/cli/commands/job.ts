import type { Command } from 'commander';
import { registerJobLogs } from './job-logs';
import { prepareArgv } from './op-common';

/** `fleetgate job logs`: job-wide commands the gateway serves. */
export const register = (program: Command): void => {
  prepareArgv();
  const job = program.command('job').description('job-wide views across all allocations of a job');
  registerJobLogs(job);
};

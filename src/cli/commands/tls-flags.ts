import type { Command } from 'commander';
import { TLS_FLAG_HELP } from '../../config/tls';

/** The TLS flags gateway and agent share (each also a FLEETGATE_* twin and a config key). */
export const addTlsFlags = (cmd: Command): Command => {
  for (const [flag, help] of TLS_FLAG_HELP) cmd.option(flag, help);
  return cmd;
};

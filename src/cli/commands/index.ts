import type { Command } from 'commander';

/** Each command file exports `register(program)`; add one line here per command. */
export const COMMANDS: Array<(program: Command) => void> = [];

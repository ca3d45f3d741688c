import type { Command } from 'commander';
import { register as alloc } from './alloc';
import { register as node } from './node';
import { register as operator } from './operator';
import { register as acl } from './acl';
import { register as cluster } from './cluster';
import { register as aclKeygen } from './acl-keygen';
import { register as agent } from './agent';
import { register as gateway } from './gateway';
import { register as dev } from './dev';
import { register as tls } from './tls';

/** Each command file exports `register(program)`; add one line here per command. */
export const COMMANDS: Array<(program: Command) => void> = [
  alloc,
  node,
  operator,
  acl,
  cluster,
  aclKeygen,
  agent,
  gateway,
  dev,
  tls,
];

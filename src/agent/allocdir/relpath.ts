import path from 'node:path';
import { errors } from '../../errors';

/**
 * Lexical half of the escape check (docs/wire.md, "Allocation files"): the requested path is joined onto the alloc
 * dir (a leading `/` is harmless), normalised, and refused if any `..` climbs above the root.
 * Express has already percent-decoded the query, so `%2e%2e%2f` arrives here as `../` and is
 * judged like any other `..`. Returns the clean relative path ('' for the alloc dir itself).
 *
 * Deliberately more precise than Nomad: a name that merely starts with `..` (`..foo`) is a legal
 * file name and is allowed; only real `..` segments that climb out are refused.
 */
export const lexicalRelPath = (requested: string): string => {
  // A NUL can never name a file; Node would throw a TypeError deeper down. Refuse it up front.
  if (requested.includes('\0')) throw errors.pathEscapes();
  const root = '/r';
  const joined = path.posix.join(root, requested);
  const rel = path.posix.relative(root, joined);
  if (rel === '..' || rel.startsWith('../')) throw errors.pathEscapes();
  return rel;
};

/** Whether `abs` is `dir` itself or inside it (both absolute, normalised, realpath'd). */
export const isInside = (dir: string, abs: string): boolean =>
  abs === dir || abs.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

/** Relative path of `abs` under `dir` with `/` separators ('' for the dir itself). */
export const relUnder = (dir: string, abs: string): string =>
  path.relative(dir, abs).split(path.sep).join('/');

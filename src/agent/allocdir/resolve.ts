import fsp from 'node:fs/promises';
import path from 'node:path';
import { errors } from '../../errors';
import type { LocalAlloc } from '../types';
import { osError } from './os-error';
import { isInside, lexicalRelPath, relUnder } from './relpath';
import { protectedKind } from './secrets';

/** A path inside an allocation directory that passed the escape checks. */
export interface ResolvedPath {
  /** The alloc dir's real path: the containment root. */
  readonly root: string;
  /** Host path to operate on (joined, not symlink-resolved: ls must lstat the link itself). */
  readonly abs: string;
  /** Alloc-relative path for messages and frame names ('' for the alloc dir). */
  readonly rel: string;
  /** Alloc-relative path after symlink resolution, or undefined if the path does not exist. */
  readonly realRel: string | undefined;
}

/** The alloc-relative name used in error messages: never the host path (the host layout is not the caller's business). */
export const displayRel = (rel: string): string => (rel === '' ? '/' : rel);

/**
 * The alloc dir's real path. The LocalAlloc contract says `dir` is already realpath'd, but a
 * relative or symlinked --data-dir would otherwise make every containment check fail, so it is
 * resolved here once per request. A missing dir means the allocation was collected on this node.
 */
export const allocRoot = async (alloc: LocalAlloc): Promise<string> => {
  try {
    return await fsp.realpath(alloc.dir);
  } catch (e) {
    if (isCode(e, 'ENOENT')) throw errors.allocNotOnClient(alloc.manifest.ID);
    throw osError('open', '/', e);
  }
};

/**
 * Escape check for list/stat/read (docs/wire.md, "Allocation files"): lexical first, then symlinks resolved with
 * realpath must stay inside the real alloc dir. A path that does not exist passes (after the
 * prefix and dangling-link checks below); the operation that follows reports it as not found.
 */
export const resolveInAlloc = async (alloc: LocalAlloc, requested: string): Promise<ResolvedPath> => {
  const rel = lexicalRelPath(requested);
  // Usually one realpath is enough: a real path has no symlink in it, so when the path's real
  // path lies textually under `alloc.dir`, `alloc.dir` is itself a real directory and is the root.
  // Anything else (missing path, a symlinked alloc dir, an escape) takes the full check below.
  const direct = rel === '' ? alloc.dir : path.join(alloc.dir, rel);
  const first = await realpathOrMissing(alloc.dir, direct);
  if (first !== undefined && isInside(alloc.dir, first))
    return { root: alloc.dir, abs: direct, rel, realRel: relUnder(alloc.dir, first) };
  const root = await allocRoot(alloc);
  const abs = rel === '' ? root : path.join(root, rel);
  const real = await realpathOrMissing(root, abs);
  if (real !== undefined) {
    if (!isInside(root, real)) throw errors.pathEscapes();
    return { root, abs, rel, realRel: relUnder(root, real) };
  }
  await assertDanglingLinkInside(root, abs);
  // Missing: the longest existing prefix must still resolve inside, or a 404-vs-400 answer
  // would let callers probe for files outside through a symlinked directory.
  let prefix = path.dirname(abs);
  while (isInside(root, prefix) && prefix !== root) {
    const r = await realpathOrMissing(root, prefix);
    if (r !== undefined) {
      if (!isInside(root, r)) throw errors.pathEscapes();
      break;
    }
    prefix = path.dirname(prefix);
  }
  return { root, abs, rel, realRel: undefined };
};

const realpathOrMissing = async (dir: string, abs: string): Promise<string | undefined> => {
  try {
    return await fsp.realpath(abs);
  } catch (e) {
    if (isCode(e, 'ENOENT') || isCode(e, 'ENOTDIR')) return undefined;
    if (isCode(e, 'ELOOP')) throw errors.pathEscapes();
    throw osError('lstat', displayRel(relUnder(dir, abs)), e);
  }
};

/** resolveInAlloc plus the secrets/private refusal that applies to reading content. */
export const resolveForRead = async (alloc: LocalAlloc, requested: string): Promise<ResolvedPath> => {
  const r = await resolveInAlloc(alloc, requested);
  assertReadable(alloc, r.rel, requested);
  if (r.realRel !== undefined) assertReadable(alloc, r.realRel, requested);
  return r;
};

export const assertReadable = (alloc: LocalAlloc, rel: string, requested: string): void => {
  const kind = protectedKind(rel, alloc.manifest.Tasks);
  if (kind === 'secret') throw errors.secretFile(requested);
  if (kind === 'private') throw errors.privateFile(requested);
};

export const isCode = (e: unknown, code: string): boolean =>
  typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;

/**
 * A dangling symlink has no realpath; follow its chain lexically so a link to a missing target
 * outside answers 400 like a link to an existing one (no existence oracle for host paths).
 */
const assertDanglingLinkInside = async (dir: string, abs: string): Promise<void> => {
  let cur = abs;
  for (let hops = 0; hops < 40; hops++) {
    let target: string;
    try {
      target = await fsp.readlink(cur);
    } catch {
      return; // not a symlink (or missing): nothing more to follow
    }
    cur = path.resolve(path.dirname(cur), target);
    if (!isInside(dir, cur)) throw errors.pathEscapes();
  }
  throw errors.pathEscapes();
};

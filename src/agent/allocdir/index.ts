export { lexicalRelPath, isInside, relUnder } from './relpath';
export { protectedKind } from './secrets';
export {
  allocRoot,
  resolveInAlloc,
  resolveForRead,
  assertReadable,
  displayRel,
  isCode,
  type ResolvedPath,
} from './resolve';
export { openInAlloc, type OpenedFile } from './open';
export { osError } from './os-error';
export { openChecked, closeQuietly, type CheckedPath } from './checked';

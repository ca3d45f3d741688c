import { errors, isHttpError, withCause, type HttpError } from '../../errors';

/** Go's wording for the errno values a file operation can meet (Nomad's messages carry it). */
const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

/**
 * An unexpected OS error as a wire error: `<op> <alloc-relative path>: <reason>` (500), never
 * Node's message, which embeds the host's absolute path (error texts never show host paths). HttpErrors
 * pass through unchanged.
 */
export const osError = (op: string, relPath: string, e: unknown): HttpError => {
  if (isHttpError(e)) return e;
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  const reason = typeof code === 'string' ? (REASONS[code] ?? code.toLowerCase()) : 'unexpected error';
  return withCause(errors.osFailure(op, relPath, reason), e);
};

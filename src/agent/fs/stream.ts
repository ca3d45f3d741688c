import type { ServerResponse as Response } from 'node:http';
import { errors } from '../../errors';
import { displayRel, openInAlloc } from '../allocdir';
import { streamFramed } from '../framer';
import type { LocalAlloc } from '../types';
import { streamFile } from './follow';
import type { StreamParams } from '../../wire';

/**
 * /fs/stream: JSON frames of one file from the start offset; non-follow ends
 * at EOF, follow ends when the file is deleted/replaced or the client leaves. All checks (and
 * their statuses) happen before the headers go out; later errors are appended as text
 * (docs/wire.md, "Stream frames").
 */
export const streamPath = async (
  res: Response,
  signal: AbortSignal,
  alloc: LocalAlloc,
  p: StreamParams,
): Promise<void> => {
  const f = await openInAlloc(alloc, p.path);
  try {
    const start = p.origin === 'end' ? Math.max(f.size - p.offset, 0) : p.offset;
    if (start < 0) throw errors.negativeOffset(p.offset, displayRel(f.rel));
    // Go sniffs frame JSON as text/plain, which is what Nomad sends: say so explicitly.
    await streamFramed(res, signal, 'text/plain; charset=utf-8', 'json', (framer) =>
      streamFile({ file: f, name: p.path, start, follow: p.follow, framer, signal }),
    );
  } finally {
    f.close();
  }
};

import type { IncomingMessage, ServerResponse } from 'node:http';
import getRawBody from 'raw-body';
import { errors, withCause } from '../errors';

/** The largest request body either role buffers (metadata, stop and ACL API bodies are tiny). */
export const MAX_BODY = 1 << 20;

/**
 * Reads a request body into memory, at most MAX_BODY bytes (413 beyond). Call it only after the
 * caller is authenticated: this is where `100 Continue` is sent to a client that asked for it,
 * and the time the body may take is bounded by the server's request timeout (server.ts).
 */
export const readBody = async (req: IncomingMessage, res: ServerResponse): Promise<Buffer> => {
  if (/100-continue/i.test(req.headers.expect ?? '') && !res.headersSent) res.writeContinue();
  try {
    return await getRawBody(req, { limit: MAX_BODY });
  } catch (e) {
    const err = e as { type?: string; message?: string };
    if (err.type === 'entity.too.large') throw errors.bodyTooLarge();
    throw withCause(errors.bodyUnreadable(err.message ?? 'unreadable'), e);
  }
};

import type { IncomingMessage, ServerResponse } from 'node:http';
import getRawBody from 'raw-body';
import { HttpError } from '../errors';

/** The largest request body either role buffers (metadata and stop bodies are tiny). */
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
    const err = e as { status?: number; message?: string };
    throw new HttpError(err.status ?? 400, `request body: ${err.message ?? String(e)}`);
  }
};

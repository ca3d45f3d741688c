import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';
import { HttpError } from '../errors';

/** POST metadata bodies are tiny; anything larger than this is refused rather than buffered. */
const MAX_BODY = 1 << 20;

/**
 * Reads a small request body into memory so the gateway can look at it (NodeID) and then
 * replay the same bytes to the agent (forward's `body` argument). raw-body enforces the limit
 * (413) and reports an aborted upload (400).
 */
export const readSmallBody = async (req: IncomingMessage): Promise<Buffer> => {
  try {
    return await getRawBody(req, { limit: MAX_BODY });
  } catch (e) {
    const err = e as { status?: number; message?: string };
    throw new HttpError(err.status ?? 400, `request body: ${err.message ?? String(e)}`);
  }
};

/** `NodeID` of a metadata body, if it is JSON with a string NodeID; otherwise the agent reports the parse error. */
export const nodeIdFromBody = (body: Buffer): string | undefined => {
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    if (v && typeof v === 'object' && 'NodeID' in v && typeof v.NodeID === 'string') return v.NodeID;
  } catch {
    /* not JSON: forwarded as is; the agent answers 400 with the decoder's message */
  }
  return undefined;
};

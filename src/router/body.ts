import type { IncomingMessage } from 'node:http';
import { HttpError } from '../errors';

/** POST metadata bodies are tiny; anything larger than this is refused rather than buffered. */
const MAX_BODY = 1 << 20;

/**
 * Reads a small request body into memory so the gateway can look at it (NodeID) and then
 * replay the same bytes to the agent (forward's `body` argument).
 */
export const readSmallBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, 'request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });

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

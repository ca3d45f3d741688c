import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NodeRecord, RouteDef } from '../wire';

/**
 * Sends a request that the gateway resolved and authorized to the node's agent, streaming
 * both ways. Two implementations (design.md): remote (http-proxy-middleware to the agent's
 * advertised URL) and local (the agent's dispatcher in the same process, no socket).
 */
export interface Forwarder {
  /**
   * Resolves when the response is over (finished or closed). `body`, when given, is a request
   * body the gateway already read from `req` (POST metadata); it is sent instead of `req`.
   */
  forward(
    req: IncomingMessage,
    res: ServerResponse,
    node: NodeRecord,
    route: RouteDef,
    body?: Buffer,
  ): Promise<void>;
}

/** The in-process agent, handed to forward/local by cli (forward never imports agent). */
export type LocalDispatcher = (req: IncomingMessage, res: ServerResponse) => void;

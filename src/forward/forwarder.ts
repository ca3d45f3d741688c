import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NodeRecord, RouteDef } from '../wire';

/**
 * Sends a request that the gateway resolved and authorized to the node's agent, streaming the
 * response back. Two implementations: remote (`node:http` to the agent's advertised URL) and
 * local (the agent's dispatcher in the same process, no socket). Both decide the framing the
 * same way (edge/framing.ts): no body on a row that takes none, the read body on a row that does.
 */
export interface Forwarder {
  /**
   * Resolves when the response is over (finished or closed). `body` is the request body the
   * gateway already read from `req`, required on rows that take one (`route.takesBody`); it is
   * sent instead of `req`'s stream, which the forwarder never reads. `credential`: what the
   * agent gets in place of the caller's token headers (a node assertion; `null`: nothing);
   * `undefined` leaves the caller's headers as they are (ACLs off).
   */
  forward(
    req: IncomingMessage,
    res: ServerResponse,
    node: NodeRecord,
    route: RouteDef,
    body?: Buffer,
    credential?: string | null,
  ): Promise<void>;
}

/** The in-process agent, handed to forward/local by cli (forward never imports agent). */
export type LocalDispatcher = (req: IncomingMessage, res: ServerResponse) => void;

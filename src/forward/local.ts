import { IncomingMessage, type ServerResponse } from 'node:http';
import type { NodeRecord, RouteDef } from '../wire';
import type { Forwarder, LocalDispatcher } from './forwarder';

/**
 * `fleetgate dev`: the agent runs in this process, so the request goes straight to its
 * dispatcher (an Express app is a `(req, res)` function): no socket, no copy. The gateway
 * already routed, authorized and possibly read the body; a read body is replayed as a stream.
 */
export class LocalForwarder implements Forwarder {
  constructor(private readonly dispatch: LocalDispatcher) {}

  forward(
    req: IncomingMessage,
    res: ServerResponse,
    _node: NodeRecord,
    _route: RouteDef,
    body?: Buffer,
  ): Promise<void> {
    return new Promise<void>((resolve) => {
      res.once('close', () => resolve());
      this.dispatch(body ? replayBody(req, body) : req, res);
    });
  }
}

/**
 * A request whose body stream was consumed by the gateway: hand the agent a fresh readable
 * carrying the same bytes, with the original request's method, url, headers and socket.
 */
const replayBody = (req: IncomingMessage, body: Buffer): IncomingMessage => {
  const r = new IncomingMessage(req.socket);
  r.method = req.method;
  r.url = req.url;
  r.headers = { ...req.headers, 'content-length': String(body.length) };
  r.rawHeaders = req.rawHeaders;
  r.httpVersion = req.httpVersion;
  r.push(body);
  r.push(null);
  return r;
};

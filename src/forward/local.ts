import { IncomingMessage, type ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { checkBodyAllowed } from '../edge/framing';
import type { NodeRecord, RouteDef } from '../wire';
import type { Forwarder, LocalDispatcher } from './forwarder';

/**
 * `fleetgate dev`: the agent runs in this process, so the request goes straight to its
 * dispatcher (an Express app is a `(req, res)` function): no socket, no copy. The same framing
 * rule as the remote forwarder holds: a body-less row gets no body, a body row gets the bytes
 * the gateway read, replayed as a complete request of their own.
 */
export class LocalForwarder implements Forwarder {
  constructor(private readonly dispatch: LocalDispatcher) {}

  async forward(
    req: IncomingMessage,
    res: ServerResponse,
    _node: NodeRecord,
    route: RouteDef,
    body?: Buffer,
  ): Promise<void> {
    checkBodyAllowed(req, res, route);
    if (route.takesBody && body === undefined) throw new Error('a body row reached the forwarder unread');
    await new Promise<void>((resolve) => {
      res.once('close', () => resolve());
      this.dispatch(route.takesBody ? replayBody(req, body!) : req, res);
    });
  }
}

/**
 * A request whose body the gateway consumed: a fresh, complete message carrying the same bytes,
 * with the original's method, url and end-to-end headers, framed by one Content-Length. It is
 * not bound to the client's socket: a message on that socket that was never marked complete
 * would make Node destroy the socket once the agent finished reading it (the client then got an
 * empty reply). Its `socket` is a detached stand-in, only for the addresses a handler may log.
 */
const replayBody = (req: IncomingMessage, body: Buffer): IncomingMessage => {
  const r = new IncomingMessage(detachedSocket(req.socket));
  r.method = req.method!;
  r.url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url!;
  const { 'transfer-encoding': _te, expect: _expect, ...headers } = req.headers;
  r.headers = { ...headers, 'content-length': String(body.length) };
  r.rawHeaders = Object.entries(r.headers).flatMap(([k, v]) =>
    Array.isArray(v) ? v.flatMap((x) => [k, x]) : [k, String(v)],
  );
  r.httpVersionMajor = 1;
  r.httpVersionMinor = 1;
  r.httpVersion = '1.1';
  r.complete = true;
  r.push(body);
  r.push(null);
  return r;
};

const detachedSocket = (from: Socket): Socket => {
  const s = new Socket();
  Object.defineProperties(s, {
    remoteAddress: { value: from.remoteAddress },
    remotePort: { value: from.remotePort },
    localAddress: { value: from.localAddress },
    localPort: { value: from.localPort },
  });
  return s;
};

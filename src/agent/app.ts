import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { httpLogger } from '../log/http';
import { createMetrics, type Metrics } from '../log/metrics';
import { checkBodyAllowed } from '../edge/framing';
import { errors } from '../errors';
import { ROUTE_IDS, ROUTES, type RouteDef, type RouteId } from '../wire';
import { buildContext } from './context';
import type { AgentAppDeps } from './deps';
import { errorMiddleware, notFoundMiddleware } from './errors-middleware';
import { buildHandlers } from './handlers';
import { agentHealth, agentSelf, requireNodeRead } from './self';
import type { AgentHandler } from './types';

export type { AgentAppDeps } from './deps';

export interface AgentAppOptions {
  /** Where request/stream metrics go; default: one `fleetgate_agent_…` set shared by the process. */
  readonly metrics?: Metrics;
}

let processMetrics: Metrics | undefined;
/** One registry per process (an agent process runs one app), so process metrics are collected once. */
const defaultMetrics = (): Metrics => (processMetrics ??= createMetrics({ role: 'agent' }));

/**
 * The node agent's HTTP app (design.md "agent"): every route of the shared table bound to its
 * handler, each request given an AgentRequestContext, one error middleware at the end.
 */
export const createAgentApp = (deps: AgentAppDeps, opts: AgentAppOptions = {}): Express => {
  const metrics = opts.metrics ?? defaultMetrics();
  deps.followers?.observe(metrics.quota);
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(httpLogger(deps.logger));
  app.use((req, _res, next) => {
    req.log.setBindings({ node: deps.node.id });
    next();
  });

  const handlers = buildHandlers(deps);
  for (const id of ROUTE_IDS) bindRoute(app, deps, metrics, id, ROUTES[id], handlers[id]);
  // metadata takes only GET and POST (spec §2.1); the rows above fall through for the rest.
  app.all(ROUTES['metadata.read'].path, () => {
    throw errors.invalidMethod();
  });

  app.get('/v1/agent/self', agentSelf(deps));
  app.get('/v1/agent/health', agentHealth);
  // Like the gateway's: Prometheus text whatever `format` says (`?format=prometheus` is what
  // scrapers send). Labels are route ids and statuses only, never alloc or node ids.
  app.get('/v1/metrics', async (req, res) => {
    await requireNodeRead(deps, req);
    res
      .status(200)
      .set('Content-Type', metrics.contentType)
      .send(await metrics.text());
  });

  app.use(notFoundMiddleware);
  app.use(errorMiddleware);
  return app;
};

const bindRoute = (
  app: Express,
  deps: AgentAppDeps,
  metrics: Metrics,
  id: RouteId,
  route: RouteDef,
  handler: AgentHandler,
): void => {
  app.all(route.path, async (req: Request, res: Response, next: NextFunction) => {
    if (route.method !== 'ANY' && req.method !== route.method) return next();
    // Agents can be reached directly: they refuse a body on a body-less row themselves.
    checkBodyAllowed(req, res, route);
    req.log.setBindings({ route: id });
    const done = metrics.startRequest(id, route.streaming);
    res.once('close', () => done(res.statusCode));
    if (route.streaming) countBodyBytes(res, metrics);
    await handler(req, res, buildContext(deps, route, req, res));
  });
};

/**
 * Count body bytes of a streaming response as they are handed to `write`/`end` (one cheap
 * length per chunk; the fs handlers write big chunks, so this is not per-frame work).
 */
const countBodyBytes = (res: Response, metrics: Metrics): void => {
  const size = (chunk: unknown, encoding: unknown): number =>
    typeof chunk === 'string'
      ? Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
      : chunk instanceof Uint8Array
        ? chunk.length
        : 0;
  const write = res.write;
  const end = res.end;
  res.write = function (this: Response, chunk: unknown, ...rest: unknown[]) {
    const n = size(chunk, rest[0]);
    if (n > 0) metrics.bytes(n);
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Response['write'];
  res.end = function (this: Response, ...args: unknown[]) {
    if (args.length > 0 && typeof args[0] !== 'function') {
      const n = size(args[0], args[1]);
      if (n > 0) metrics.bytes(n);
    }
    return (end as (...a: unknown[]) => Response).apply(this, args);
  } as Response['end'];
};

import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { httpLogger } from '../log/http';
import { errors } from '../errors';
import { ROUTE_IDS, ROUTES, type RouteDef, type RouteId } from '../wire';
import { buildContext } from './context';
import type { AgentAppDeps } from './deps';
import { errorMiddleware, notFoundMiddleware } from './errors-middleware';
import { buildHandlers } from './handlers';
import { agentHealth, agentSelf } from './self';
import type { AgentHandler } from './types';

export type { AgentAppDeps } from './deps';

/**
 * The node agent's HTTP app (design.md "agent"): every route of the shared table bound to its
 * handler, each request given an AgentRequestContext, one error middleware at the end.
 */
export const createAgentApp = (deps: AgentAppDeps): Express => {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(httpLogger(deps.logger));
  app.use((req, _res, next) => {
    req.log.setBindings({ node: deps.node.id });
    next();
  });

  const handlers = buildHandlers(deps);
  for (const id of ROUTE_IDS) bindRoute(app, deps, id, ROUTES[id], handlers[id]);
  // metadata takes only GET and POST (spec §2.1); the rows above fall through for the rest.
  app.all(ROUTES['metadata.read'].path, () => {
    throw errors.invalidMethod();
  });

  app.get('/v1/agent/self', agentSelf(deps));
  app.get('/v1/agent/health', agentHealth);

  app.use(notFoundMiddleware);
  app.use(errorMiddleware);
  return app;
};

const bindRoute = (
  app: Express,
  deps: AgentAppDeps,
  id: RouteId,
  route: RouteDef,
  handler: AgentHandler,
): void => {
  app.all(route.path, async (req: Request, res: Response, next: NextFunction) => {
    if (route.method !== 'ANY' && req.method !== route.method) return next();
    req.log.setBindings({ route: id });
    await handler(req, res, buildContext(deps, route, req, res));
  });
};

import express, { type Express } from 'express';
import { errors } from '../errors';
import { httpLogger } from '../log/http';
import { clientRoutes } from './client-routes';
import { jobLogsRoute } from './job-logs/route';
import type { GatewayDeps } from './deps';
import { readApi } from './read-api';
import { errorMiddleware } from './respond';
import { uiStatic } from './ui-static';

export type { GatewayDeps } from './deps';

/**
 * The gateway's Express app. No body parser anywhere before the client routes: request bodies
 * are streamed to agents untouched (a parser would consume the stream http-proxy-middleware forwards).
 */
export const createGatewayApp = (deps: GatewayDeps): Express => {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  // Flat parameters only (node_id, path, prefix…): the simple parser, not qs, on the request path.
  app.set('query parser', 'simple');
  app.use(httpLogger(deps.logger));
  app.use(clientRoutes(deps));
  app.use(jobLogsRoute(deps));
  // Everything the client routes did not answer (read API, ACL API, 404s) is counted under one
  // bounded label: `other`.
  if (deps.metrics) {
    const metrics = deps.metrics;
    app.use((_req, res, next) => {
      const done = metrics.startRequest('other', false);
      res.once('close', () => done(res.statusCode));
      next();
    });
  }
  app.use(uiStatic());
  app.use(readApi(deps));
  // ---- ACL HTTP API mount point: createAclApi(deps) from src/router/acl-api.ts (ACL engineer) ----
  if (deps.aclApi) app.use(deps.aclApi);
  app.use(() => {
    throw errors.notFound();
  });
  app.use(errorMiddleware(deps.logger));
  return app;
};

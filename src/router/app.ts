import express, { type Express } from 'express';
import { errorResponder, notFoundResponder } from '../http/respond-error';
import { httpLogger } from '../log/http';
import { clientRoutes } from './client-routes';
import { jobLogsRoute } from './job-logs/route';
import type { GatewayDeps } from './deps';
import { readApi } from './read-api';
import { uiStatic } from './ui-static';

export type { GatewayDeps } from './deps';

/**
 * The gateway's Express app. No body parser in front of the client routes: request bodies are
 * streamed to agents untouched (a parser that consumed them would leave the proxy nothing to
 * send); the kernel reads a body itself only on rows that take one, and replays it.
 */
export const createGatewayApp = (deps: GatewayDeps): Express => {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  // Nomad's paths are exact: case matters and a trailing slash is another path.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
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
  // Agents' node API (registration, heartbeats, allocations, ACL watch) and join tokens; before
  // the ACL API, whose `/v1/acl` guard answers 400 with ACLs off (join tokens exist either way).
  if (deps.nodeApi) app.use(deps.nodeApi);
  app.use(readApi(deps));
  if (deps.aclApi) app.use(deps.aclApi);
  app.use(notFoundResponder);
  app.use(errorResponder(deps.logger));
  return app;
};

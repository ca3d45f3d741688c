import express, { type Express } from 'express';
import { errors } from '../errors';
import { createKernel } from '../http/kernel';
import { errorResponder, notFoundResponder } from '../http/respond-error';
import { httpLogger } from '../log/http';
import { createMetrics, type Metrics } from '../log/metrics';
import type { AllocManifest, RouteId } from '../wire';
import { toLocalAlloc } from './context';
import type { AgentAppDeps } from './deps';
import { buildHandlers } from './handlers';
import { agentHealth, agentSelf, requireNodeRead } from './self';
import type { AgentCall, AgentHandler } from './types';

export type { AgentAppDeps } from './deps';

export interface AgentAppOptions {
  /** Where request/stream metrics go; default: one `fleetgate_agent_…` set shared by the process. */
  readonly metrics?: Metrics;
}

let processMetrics: Metrics | undefined;
/** One registry per process (an agent process runs one app), so process metrics are collected once. */
const defaultMetrics = (): Metrics => (processMetrics ??= createMetrics({ role: 'agent' }));

interface LocalScope {
  readonly ID: string;
  readonly Namespace: string;
  readonly NodeID: string;
  readonly manifest: AllocManifest;
}

/**
 * The node agent's HTTP app: the request kernel with this node's manifests as its resolve step
 * and the row's handler as its terminal step, then the agent's own endpoints, one 404 and one
 * error responder. Operators and the CLI may call an agent directly, so it checks tokens and
 * audits exactly as the gateway does.
 */
export const createAgentApp = (deps: AgentAppDeps, opts: AgentAppOptions = {}): Express => {
  const metrics = opts.metrics ?? defaultMetrics();
  deps.followers?.observe(metrics.quota);
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  app.set('query parser', 'simple');
  app.use(httpLogger(deps.logger));
  app.use((req, _res, next) => {
    req.log.setBindings({ node: deps.node.id });
    next();
  });

  const handlers = buildHandlers(deps);
  app.use(
    createKernel<LocalScope>({
      authenticator: deps.authenticator,
      logger: deps.logger,
      metrics,
      findAlloc: async (id) => {
        const manifest = deps.manifests.get(id);
        return manifest && { ID: manifest.ID, Namespace: manifest.Namespace, NodeID: deps.node.id, manifest };
      },
      defaultNode: () => deps.node.id,
      async terminal({ id, row, req, res, params, body, alloc, nodeId }) {
        // A node row naming another node: an agent cannot reach it (the gateway does that).
        if (row.target === 'node' && nodeId !== deps.node.id.toLowerCase()) throw errors.unknownNode(nodeId);
        const ac = new AbortController();
        res.once('close', () => {
          if (!res.writableFinished) ac.abort();
        });
        const call = {
          params,
          body: body?.value,
          alloc: alloc && toLocalAlloc(deps.dataDir, alloc.manifest),
          signal: ac.signal,
          holdFollower: () => {
            if (alloc) deps.followers?.admit(alloc.ID, res);
          },
        } as AgentCall<RouteId>;
        await (handlers[id] as AgentHandler<RouteId>)(req, res, call);
      },
    }),
  );

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

  app.use(notFoundResponder);
  app.use(errorResponder(deps.logger));
  return app;
};

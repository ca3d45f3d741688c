import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../errors';
import { createKernel } from '../http/kernel';
import { sendError } from '../http/respond-error';
import { targetOf } from '../http/target';
import { logRequest } from '../log/http';
import { createMetrics, type Metrics } from '../log/metrics';
import type { AllocManifest, RouteId } from '../wire';
import { toLocalAlloc } from './context';
import type { AgentAppDeps } from './deps';
import { buildHandlers } from './handlers';
import { agentHealth, agentSelf } from './self';
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

/** The agent's request listener: a plain node:http `(req, res)` function. */
export type AgentApp = (req: IncomingMessage, res: ServerResponse) => void;

const ALLOW = 'GET, HEAD';
const sendAllow = (res: ServerResponse): void => {
  res.writeHead(200, {
    Allow: ALLOW,
    'Content-Length': ALLOW.length,
    'Content-Type': 'text/plain',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(ALLOW);
};

type OwnEndpoint = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/**
 * The node agent's HTTP app: the request kernel with this node's manifests as its resolve step
 * and the row's handler as its terminal step, then the agent's own endpoints, one 404 and one
 * error responder. Operators and the CLI may call an agent directly, so it checks tokens and
 * audits exactly as the gateway does.
 *
 * It runs on plain node:http, not Express: the kernel does its own exact routing over the route
 * table, and the two own endpoints are a map lookup, so Express only added its per-request
 * cost (its router, request/response prototypes, query parsing), which profiles showed to be a
 * large part of a small request (docs/performance.md). The gateway mounts the same kernel as
 * Express middleware.
 */
export const createAgentApp = (deps: AgentAppDeps, opts: AgentAppOptions = {}): AgentApp => {
  const metrics = opts.metrics ?? defaultMetrics();
  deps.followers?.observe(metrics.quota);
  const handlers = buildHandlers(deps, metrics);
  const kernel = createKernel<LocalScope>({
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
      // Made on first use: only streaming handlers ask for it, and a controller with its close
      // listener is a visible share of a small request's cost.
      let ac: AbortController | undefined;
      const signal = (): AbortSignal => {
        if (ac) return ac.signal;
        const made = (ac = new AbortController());
        if (res.closed) {
          if (!res.writableFinished) made.abort();
        } else
          res.once('close', () => {
            if (!res.writableFinished) made.abort();
          });
        return made.signal;
      };
      const call = {
        params,
        body: body?.value,
        alloc: alloc && toLocalAlloc(deps.dataDir, alloc.manifest),
        get signal() {
          return signal();
        },
        holdFollower: () => {
          if (alloc) deps.followers?.admit(alloc.ID, res);
        },
      } as AgentCall<RouteId>;
      await (handlers[id] as AgentHandler<RouteId>)(req, res, call);
    },
  });

  // GET (and HEAD, whose body Node drops) only; any other method is the 404 of an unknown path.
  // (`/v1/metrics` is a route row: the kernel answers it.)
  const own = new Map<string, OwnEndpoint>([
    ['/v1/agent/self', agentSelf(deps)],
    ['/v1/agent/health', agentHealth],
  ]);
  const nodeField = { node: deps.node.id };

  return (req, res) => {
    logRequest(deps.logger, req, res, nodeField);
    const fail = (err: unknown): void => sendError(res, err, deps.logger, req);
    kernel(req, res, (err) => {
      if (err !== undefined) return fail(err);
      const endpoint = own.get(targetOf(req).path);
      // OPTIONS lists the methods, as the Express router the agent ran on before answered it.
      if (endpoint && req.method === 'OPTIONS') return sendAllow(res);
      if (!endpoint || (req.method !== 'GET' && req.method !== 'HEAD')) return fail(errors.notFound());
      try {
        const done = endpoint(req, res);
        if (done) done.catch(fail);
      } catch (e) {
        fail(e);
      }
    });
  };
};

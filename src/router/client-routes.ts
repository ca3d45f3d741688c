import type { RequestHandler } from 'express';
import { errors } from '../errors';
import { createKernel } from '../http/kernel';
import { asAllocId, type AllocRecord } from '../wire';
import type { GatewayDeps } from './deps';
import { lookupNode, reachableNode } from './resolve';

/**
 * The gateway's client routes: the request kernel with the registry as its resolve step and
 * the forwarder as its terminal step. The node is looked up only after authorization (Nomad's
 * order: a caller without the capability learns nothing about which nodes exist), and a node
 * the registry reports down is 503 at once instead of a connect timeout.
 */
export const clientRoutes = (deps: GatewayDeps): RequestHandler =>
  createKernel<AllocRecord>({
    authenticator: deps.authenticator,
    logger: deps.logger,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    findAlloc: (id) => deps.registry.getAlloc(asAllocId(id)).then((a) => a ?? undefined),
    defaultNode: () => {
      throw errors.noNodeId();
    },
    async terminal(call) {
      const node = reachableNode(await lookupNode(deps.registry, call.nodeId));
      if (call.row.streaming) deps.streamQuota?.admit(call.identity, call.res);
      await deps.forwarder.forward(call.req, call.res, node, call.row, call.body?.raw);
    },
  });

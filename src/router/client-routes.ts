import type { RequestHandler } from 'express';
import { errors } from '../errors';
import type { AssertionSigner } from '../acl/assertion';
import { createKernel, type Call } from '../http/kernel';
import { sendMetrics } from '../http/metrics';
import { asAllocId, type AllocRecord } from '../wire';
import type { GatewayDeps } from './deps';
import { lookupNode, reachableNode } from './resolve';

/**
 * The gateway's client routes: the request kernel with the registry as its resolve step and
 * the forwarder as its terminal step. The node is looked up only after authorization (Nomad's
 * order: a caller without the capability learns nothing about which nodes exist), and a node
 * the registry reports down is 503 at once instead of a connect timeout.
 */
/**
 * The assertion for a forwarded call: the node, the caller's accessor, and the one right the
 * kernel just found the caller has — the row's first capability it allows in the allocation's
 * namespace, or the node right. A row that needs no right gets no credential at all.
 */
const assertionFor = (signer: AssertionSigner, call: Call<AllocRecord>): string | null => {
  const need = call.row.capability;
  const who = call.identity;
  if (need.kind === 'node')
    return signer.sign(call.nodeId, who.accessorId, { kind: 'node', level: need.level });
  if (need.kind === 'none') return null;
  const namespace = call.alloc?.Namespace;
  const capability = namespace ? need.anyOf.find((c) => who.acl.allowNamespaceOp(namespace, c)) : undefined;
  if (!namespace || !capability) return null;
  return signer.sign(call.nodeId, who.accessorId, { kind: 'namespace', capability, namespace });
};

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
      if (call.row.target === 'self') {
        if (!deps.metrics) throw errors.notFound();
        return sendMetrics(call.res, deps.metrics);
      }
      const node = reachableNode(await lookupNode(deps.registry, call.nodeId));
      if (call.row.streaming) deps.streamQuota?.admit(call.identity, call.res);
      const credential = deps.assertions ? assertionFor(deps.assertions, call) : undefined;
      await deps.forwarder.forward(call.req, call.res, node, call.row, call.body?.raw, credential);
    },
  });

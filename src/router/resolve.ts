import { errors } from '../errors';
import type { Registry } from '../registry/registry';
import { advertiseOrigin, asNodeId, isUuid, type NodeRecord } from '../wire';

export const lookupNode = async (registry: Registry, id: string): Promise<NodeRecord> => {
  if (!isUuid(id)) throw errors.badNodeIdShape();
  const node = await registry.getNode(asNodeId(id));
  if (!node) throw errors.unknownNode(id);
  return node;
};

/**
 * A node the gateway may dial, its AdvertiseURL reduced to an origin. A node whose heartbeat
 * lapsed is answered 503 at once instead of waiting on a connect timeout.
 */
export const reachableNode = (node: NodeRecord): NodeRecord => {
  if (node.Status === 'down') {
    const last = node.LastHeartbeat ? new Date(node.LastHeartbeat).toISOString() : 'never';
    throw errors.noPathToNode(`node ${node.ID} is down (last heartbeat ${last})`);
  }
  if (!node.AdvertiseURL) throw errors.noPathToNode(`node ${node.ID} has no advertised address`);
  // Checked again at use: a record that reached the registry without the node API's check
  // (an old agent, a hand edit) must not point the gateway at a path or another service.
  const origin = advertiseOrigin(node.AdvertiseURL);
  if (!origin) throw errors.noPathToNode(`node ${node.ID} advertises an address that is not an origin`);
  return origin === node.AdvertiseURL ? node : { ...node, AdvertiseURL: origin };
};

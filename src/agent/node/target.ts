import type { Request } from 'express';
import { errors } from '../../errors';
import { isUuid } from '../../wire';
import { queryParam } from '../respond';

/**
 * Node-addressed routes (spec §1.1): an empty `node_id` or this node's id is served here;
 * anything else is another node, which an agent cannot reach (the gateway does that).
 */
export const checkNodeTarget = (localId: string, nodeId: string): void => {
  if (nodeId === '' || nodeId.toLowerCase() === localId) return;
  if (!isUuid(nodeId)) throw errors.badNodeIdShape();
  throw errors.unknownNode(nodeId);
};

export const checkNodeQuery = (req: Request, localId: string): void =>
  checkNodeTarget(localId, queryParam(req, 'node_id'));

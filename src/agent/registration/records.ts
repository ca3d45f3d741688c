import type { NodeRecord, NomadNodeResources } from '../../wire';
import type { NodeIdentity } from '../deps';

export const nodeRecord = (
  n: NodeIdentity,
  meta: Record<string, string>,
  resources?: NomadNodeResources,
): Omit<NodeRecord, 'Status' | 'LastHeartbeat'> => ({
  ID: n.id,
  Name: n.name,
  Datacenter: n.datacenter,
  HTTPAddr: n.httpAddr(),
  AdvertiseURL: n.advertiseUrl(),
  Meta: meta,
  Version: n.version,
  ...(resources ? { NodeResources: resources } : {}),
});

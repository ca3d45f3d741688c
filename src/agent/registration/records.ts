import type { AllocManifest, AllocRecord, NodeId, NodeRecord } from '../../wire';
import type { NodeIdentity } from '../deps';

export const nodeRecord = (
  n: NodeIdentity,
  meta: Record<string, string>,
): Omit<NodeRecord, 'Status' | 'LastHeartbeat'> => ({
  ID: n.id,
  Name: n.name,
  Datacenter: n.datacenter,
  HTTPAddr: n.httpAddr(),
  AdvertiseURL: n.advertiseUrl(),
  Meta: meta,
  Version: n.version,
});

export const allocRecord = (nodeId: NodeId, m: AllocManifest): AllocRecord => ({
  ID: m.ID,
  NodeID: nodeId,
  Namespace: m.Namespace,
  JobID: m.JobID,
  TaskGroup: m.TaskGroup,
  Name: m.Name,
  Tasks: [...m.Tasks],
  ClientStatus: m.ClientStatus,
  CreateTime: m.CreateTime,
  ModifyTime: m.ModifyTime,
});

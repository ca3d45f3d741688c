import type { NodeRecord } from '../../../src/wire/types';

/** The JSON shapes the UI reads, as the gateway's registry read API writes them. */
export interface NodeStub {
  ID: string;
  Name: string;
  Datacenter: string;
  Address: string;
  HTTPAddr: string;
  Status: NodeRecord['Status'];
  /** Unix ms; older gateways put it in the list, Nomad's own stub has no such field. */
  LastHeartbeat?: number;
  Version: string;
}

export interface NodeDetail extends NodeStub {
  /** Unix seconds of the last status change (Nomad's field). */
  StatusUpdatedAt?: number;
  Meta: Record<string, string>;
  Attributes: Record<string, string>;
}

export interface AllocStub {
  ID: string;
  Name: string;
  Namespace: string;
  JobID: string;
  TaskGroup: string;
  NodeID: string;
  ClientStatus: string;
  DesiredStatus: string;
  CreateTime: number;
  ModifyTime: number;
  TaskStates: Record<string, { State: string }>;
}

export interface TokenSelf {
  AccessorID: string;
  Name: string;
  Type: 'management' | 'client';
  Policies: string[];
  ExpirationTime?: string | null;
}

export type { AllocFileInfo, AllocResourceUsage, HostStats, NodeMetaResponse } from '../../../src/wire/types';

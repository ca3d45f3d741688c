import type tls from 'node:tls';
import type { AllocFileInfo, AllocRecord, NodeRecord } from '../wire/types';

export type { AllocFileInfo, AllocRecord, NodeRecord };
export type { AllocResourceUsage, HostStats, NodeMetaResponse } from '../wire/types';

/** `'auto'`: node first, gateway on a network error; `'always'`: node only; `'never'`: gateway only. */
export type DirectMode = 'auto' | 'always' | 'never';
export const DIRECT_MODES: readonly DirectMode[] = ['auto', 'always', 'never'];

export interface ClientOptions {
  /** Gateway base URL or host:port. */
  address: string;
  token?: string | undefined;
  direct?: DirectMode;
  /** Connect timeout towards node agents; Nomad's api client gives a node 1 s before it falls back. */
  nodeConnectTimeoutMs?: number;
  /** Called with one line per routing decision when the user asked for verbose output. */
  log?: (line: string) => void;
  /**
   * TLS towards the gateway and the nodes alike (CA, client certificate, server name). When set,
   * or when the address is https://, nodes are reached over https:// too.
   */
  tls?: tls.ConnectionOptions | undefined;
}

/** What `/v1/nodes` lists (a subset of NodeRecord; extra fields pass through). */
export type NodeStub = Pick<NodeRecord, 'ID' | 'Name' | 'Status'> & Partial<NodeRecord>;
export type AllocStub = Pick<AllocRecord, 'ID' | 'NodeID'> &
  Partial<AllocRecord> & { TaskStates?: Record<string, { State?: string }> };

import type { LogType, Origin } from '../wire/follow';
export type { LogType, Origin, LogsQuery, StreamQuery } from '../wire/follow';

export interface AclTokenRequest {
  Name?: string;
  Type: 'client' | 'management';
  Policies?: string[];
  ExpirationTTL?: string;
}

export interface AclToken {
  AccessorID: string;
  SecretID: string;
  Name?: string;
  Type?: string;
  Policies?: string[] | null;
  ExpirationTime?: string | null;
  CreateTime?: string;
  [k: string]: unknown;
}

export interface AclPolicy {
  Name: string;
  Description?: string;
  Rules: string;
}

/** `GET /v1/allocation/:id`: the registry record plus Nomad's TaskStates and DesiredStatus. */
export type AllocDetail = AllocRecord & {
  TaskStates?: Record<string, { State?: string }>;
  DesiredStatus?: string;
  /** Says why an allocation is `lost` (see `hasEnded`). */
  ClientDescription?: string;
};

/** `GET /v1/job/:id/logs` parameters (see README "Job-wide logs"). */
export interface JobLogsQuery {
  namespace?: string;
  task?: string;
  type: LogType;
  follow: boolean;
  origin?: Origin;
  offset?: number;
  /** A template, or `false` for none; given explicitly, framed frames carry `Prefix`. */
  prefix?: string;
  /** `formatResume` of the positions received so far (follow only). */
  resume?: string;
}

/** A node join token as the gateway issues it. */
export interface JoinToken {
  AccessorID: string;
  SecretID: string;
  Name: string;
  ExpirationTime: string;
}

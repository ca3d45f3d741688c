import {
  ALLOC_LOST,
  TERMINAL_STATUSES,
  type AllocRecord,
  type ClientStatus,
  type NodeRecord,
  type NomadAllocation,
  type NomadAllocationListStub,
  type NomadJob,
  type NomadNode,
  type NomadNodeListStub,
  type NomadTaskState,
} from '../wire';
import { formatGoTime, GO_ZERO_TIME } from '../wire/go-time';

/**
 * The registry's records in the shapes of Nomad's `api` structs (types in wire/types.ts). Fields
 * the registry has no notion of (evaluations, deployments, resources, drains) carry Go's zero
 * value. Per-record Create/ModifyIndex are the registry's stamps (the table index of the
 * record's first and last change; 0 for a record stored before stamps existed).
 */

/**
 * An allocation is `lost` while its node is down (or gone), unless it already ended. Derived at
 * read time, so it turns back into the stored status the moment the node heartbeats again.
 */
export const effectiveStatus = (a: AllocRecord, node: NodeRecord | undefined): ClientStatus =>
  (!node || node.Status === 'down') && !TERMINAL_STATUSES.includes(a.ClientStatus) ? 'lost' : a.ClientStatus;

const goTimeNs = (ns: number): string => formatGoTime(BigInt(Math.trunc(ns)));

/** A manifest has no per-task history: every task shares the allocation's stored status and times. */
const taskState = (a: AllocRecord): NomadTaskState => {
  const started = a.ClientStatus !== 'pending';
  const ended = TERMINAL_STATUSES.includes(a.ClientStatus);
  return {
    Events: [],
    Failed: a.ClientStatus === 'failed',
    FinishedAt: ended ? goTimeNs(a.ModifyTime) : GO_ZERO_TIME,
    LastRestart: GO_ZERO_TIME,
    Restarts: 0,
    StartedAt: started ? goTimeNs(a.CreateTime) : GO_ZERO_TIME,
    State: !started ? 'pending' : ended ? 'dead' : 'running',
    TaskHandle: null,
  };
};

/**
 * The job as far as the manifest describes it: one group (the allocation's) with its tasks. The
 * agent runs tasks as plain host processes, which is Nomad's `raw_exec`; an adopted manifest
 * names no driver, so it is called the same.
 */
export const jobOf = (a: AllocRecord): NomadJob => ({
  ID: a.JobID,
  Name: a.JobID,
  Namespace: a.Namespace,
  Type: 'service',
  Version: 0,
  TaskGroups: [{ Name: a.TaskGroup, Tasks: a.Tasks.map((t) => ({ Name: t, Driver: 'raw_exec' })) }],
});

/**
 * An allocation's answer depends on its node too (`lost` while the node is down), so its
 * ModifyIndex is the later of its own stamp and its node's: it moves when the derived status
 * does, and never goes back.
 */
const allocModifyIndex = (a: AllocRecord, node: NodeRecord | undefined): number =>
  Math.max(a.ModifyIndex ?? 0, node?.ModifyIndex ?? 0);

const allocCommon = (a: AllocRecord, node: NodeRecord | undefined) => {
  const status = effectiveStatus(a, node);
  return {
    ClientDescription: status === 'lost' && a.ClientStatus !== 'lost' ? ALLOC_LOST : '',
    ClientStatus: status,
    CreateIndex: a.CreateIndex ?? 0,
    CreateTime: a.CreateTime,
    DeploymentStatus: null,
    DesiredDescription: '',
    DesiredStatus: a.ClientStatus === 'pending' || a.ClientStatus === 'running' ? 'run' : 'stop',
    EvalID: '',
    FollowupEvalID: '',
    ID: a.ID,
    JobID: a.JobID,
    ModifyIndex: allocModifyIndex(a, node),
    ModifyTime: a.ModifyTime,
    Name: a.Name,
    Namespace: a.Namespace,
    NextAllocation: '',
    NodeID: a.NodeID,
    NodeName: node?.Name ?? '',
    PreemptedAllocations: null,
    PreemptedByAllocation: '',
    RescheduleTracker: null,
    TaskGroup: a.TaskGroup,
    TaskStates: Object.fromEntries(a.Tasks.map((t) => [t, taskState(a)])),
  } as const;
};

/** Keys in ascending byte order, as Nomad's JSON codec writes struct fields. */
const sorted = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) as T;

export const allocationStub = (a: AllocRecord, node: NodeRecord | undefined): NomadAllocationListStub =>
  sorted({ ...allocCommon(a, node), JobType: 'service', JobVersion: 0 });

export const allocation = (a: AllocRecord, node: NodeRecord | undefined): NomadAllocation =>
  sorted({
    ...allocCommon(a, node),
    AllocModifyIndex: a.ModifyIndex ?? 0,
    AllocatedResources: null,
    DeploymentID: '',
    DesiredTransition: { Migrate: null, Reschedule: null },
    Job: jobOf(a),
    Metrics: null,
    NetworkStatus: null,
    PreviousAllocation: '',
    Resources: null,
    Services: null,
    TaskResources: null,
  });

/**
 * `HTTPAddr` is `host:port` (what the Go client dials); `Address` its host. With `resources`
 * (`/v1/nodes?resources=true`) the stub carries `NodeResources` as Nomad's does; Go omits the
 * field otherwise (and `ReservedResources` always: nothing is reserved here).
 */
export const nodeStub = (n: NodeRecord, resources = false): NomadNodeListStub => ({
  Address: n.HTTPAddr.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''),
  CreateIndex: n.CreateIndex ?? 0,
  Datacenter: n.Datacenter,
  Drain: false,
  Drivers: null,
  HTTPAddr: n.HTTPAddr,
  ID: n.ID,
  LastDrain: null,
  LastHeartbeat: n.LastHeartbeat,
  ModifyIndex: n.ModifyIndex ?? 0,
  Name: n.Name,
  NodeClass: '',
  NodePool: 'default',
  SchedulingEligibility: 'eligible',
  Status: n.Status,
  StatusDescription: '',
  Version: n.Version,
  ...(resources && n.NodeResources ? { NodeResources: n.NodeResources } : {}),
});

export const node = (n: NodeRecord): NomadNode => ({
  Attributes: { 'nomad.version': n.Version, 'fleetgate.advertise': n.AdvertiseURL },
  CSIControllerPlugins: null,
  CSINodePlugins: null,
  CgroupParent: '',
  CreateIndex: n.CreateIndex ?? 0,
  Datacenter: n.Datacenter,
  Drain: false,
  DrainStrategy: null,
  Drivers: null,
  Events: null,
  HTTPAddr: n.HTTPAddr,
  HostNetworks: null,
  HostVolumes: null,
  ID: n.ID,
  LastDrain: null,
  LastHeartbeat: n.LastHeartbeat,
  Links: null,
  Meta: n.Meta,
  ModifyIndex: n.ModifyIndex ?? 0,
  Name: n.Name,
  NodeClass: '',
  NodePool: 'default',
  NodeResources: n.NodeResources ?? null,
  Reserved: null,
  ReservedResources: null,
  Resources: null,
  SchedulingEligibility: 'eligible',
  Status: n.Status,
  StatusDescription: '',
  // Unix seconds, as Nomad's Node.StatusUpdatedAt.
  StatusUpdatedAt: Math.floor((n.StatusUpdatedAt ?? n.LastHeartbeat) / 1000),
  // The Go client dials https:// (and checks the certificate) when this is true.
  TLSEnabled: n.AdvertiseURL.startsWith('https:'),
  Version: n.Version,
});

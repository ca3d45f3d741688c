import type { AllocId, NodeId } from './ids';

/** `api.AllocFileInfo`. Keys are emitted in this (alphabetical) order; ContentType only from stat. */
export interface AllocFileInfo {
  ContentType?: string;
  FileMode: string;
  IsDir: boolean;
  ModTime: string;
  Name: string;
  Size: number;
}

export type ClientStatus = 'pending' | 'running' | 'complete' | 'failed' | 'lost';
export const TERMINAL_STATUSES: readonly ClientStatus[] = ['complete', 'failed', 'lost'];

/** What Nomad says of an allocation whose node stopped heartbeating. */
export const ALLOC_LOST = 'alloc is lost since its node is down';

/**
 * Whether an allocation, as a registry read shows it, has ended for good, so its logs are final.
 * A `lost` the gateway derived from its node being down has not: the node may come back with the
 * task still running and writing.
 */
export const hasEnded = (a: { ClientStatus: ClientStatus; ClientDescription?: string }): boolean =>
  TERMINAL_STATUSES.includes(a.ClientStatus) &&
  !(a.ClientStatus === 'lost' && a.ClientDescription === ALLOC_LOST);

/**
 * `client/allocs/<id>.json` in the agent's data directory: written by the task runner or
 * by any other program; the agent adopts it. Times are Unix nanoseconds.
 */
export interface AllocManifest {
  ID: AllocId;
  Namespace: string;
  JobID: string;
  TaskGroup: string;
  Name: string;
  Tasks: string[];
  ClientStatus: ClientStatus;
  CreateTime: number;
  ModifyTime: number;
}

/** A node as the registry holds it and `GET /v1/node/:id` shows it (Nomad field names). */
export interface NodeRecord {
  ID: NodeId;
  Name: string;
  Datacenter: string;
  /** `host:port`, as Nomad shows it. */
  HTTPAddr: string;
  /** The agent's base URL the gateway forwards to (`--advertise`). */
  AdvertiseURL: string;
  Status: 'ready' | 'down';
  Meta: Record<string, string>;
  Version: string;
  /** What the agent measured of its host when it started (absent from agents before it did). */
  NodeResources?: NomadNodeResources;
  /** Unix milliseconds of the last heartbeat the registry saw. */
  LastHeartbeat: number;
  /** Unix milliseconds of the last change of `Status` the registry recorded. */
  StatusUpdatedAt?: number;
  /** Read only: the registry's index when it first stored the node, and at its last change. */
  CreateIndex?: number;
  ModifyIndex?: number;
}

/** An allocation as the registry holds it: its manifest plus the node that runs it. */
export interface AllocRecord extends AllocManifest {
  NodeID: NodeId;
  /** Read only: the registry's index when it first stored the allocation, and at its last change. */
  CreateIndex?: number;
  ModifyIndex?: number;
}

/** `GET|POST /v1/client/metadata` (`api.NodeMetaResponse`). */
export interface NodeMetaResponse {
  Dynamic: Record<string, string | null>;
  Meta: Record<string, string>;
  Static: Record<string, string>;
}

export interface DiskStats {
  Available: number;
  Device: string;
  InodesUsedPercent: number;
  Mountpoint: string;
  Size: number;
  Used: number;
  UsedPercent: number;
}

export interface HostCpuStats {
  CPU: string;
  Idle: number;
  System: number;
  TotalPercent: number;
  TotalTicks: number;
  User: number;
}

/** `GET /v1/client/stats` (`api.HostStats`, Nomad ≥ 1.6 names). */
export interface HostStats {
  AllocDirStats: DiskStats;
  CPU: HostCpuStats[];
  CPUTicksConsumed: number;
  DeviceStats: unknown[];
  DiskStats: DiskStats[] | null;
  Memory: { Available: number; Free: number; Total: number; Used: number };
  Timestamp: number;
  Uptime: number;
}

export interface MemoryStats {
  Cache: number;
  KernelMaxUsage: number;
  KernelUsage: number;
  MappedFile: number;
  MaxUsage: number;
  Measured: string[];
  RSS: number;
  Swap: number;
  Usage: number;
}

export interface CpuStats {
  Measured: string[];
  Percent: number;
  SystemMode: number;
  ThrottledPeriods: number;
  ThrottledTime: number;
  TotalTicks: number;
  UserMode: number;
}

export interface ResourceUsage {
  CpuStats: CpuStats;
  DeviceStats: unknown[];
  MemoryStats: MemoryStats;
}

export interface TaskResourceUsage {
  Pids: Record<string, ResourceUsage> | null;
  ResourceUsage: ResourceUsage;
  Timestamp: number;
}

/** `GET /v1/client/allocation/:id/stats` (`api.AllocResourceUsage`). */
export interface AllocResourceUsage {
  ResourceUsage: ResourceUsage;
  Tasks: Record<string, TaskResourceUsage>;
  Timestamp: number;
}

/*
 * Nomad's server read API as its Go client (`api` package) decodes it: every field of the Go
 * struct, under its Go name, with its JSON type (pointers, maps and slices may be null). The
 * gateway fills what the registry knows and gives the rest Go's zero value.
 */

/** `api.TaskState`. Times are Go RFC 3339 strings; a time that never happened is Go's zero time. */
export interface NomadTaskState {
  Events: unknown[];
  Failed: boolean;
  FinishedAt: string;
  LastRestart: string;
  Restarts: number;
  StartedAt: string;
  State: 'pending' | 'running' | 'dead';
  TaskHandle: null;
}

/** The part of `api.Job` the registry can describe: enough for the CLI's task lookup. */
export interface NomadJob {
  ID: string;
  Name: string;
  Namespace: string;
  Type: string;
  Version: number;
  TaskGroups: Array<{ Name: string; Tasks: Array<{ Name: string; Driver: string }> }>;
}

/** Fields `api.Allocation` and `api.AllocationListStub` share. */
interface NomadAllocCommon {
  ClientDescription: string;
  ClientStatus: ClientStatus;
  CreateIndex: number;
  CreateTime: number;
  DeploymentStatus: null;
  DesiredDescription: string;
  DesiredStatus: 'run' | 'stop';
  EvalID: string;
  FollowupEvalID: string;
  ID: AllocId;
  JobID: string;
  ModifyIndex: number;
  ModifyTime: number;
  Name: string;
  Namespace: string;
  NextAllocation: string;
  NodeID: NodeId;
  NodeName: string;
  PreemptedAllocations: null;
  PreemptedByAllocation: string;
  RescheduleTracker: null;
  TaskGroup: string;
  TaskStates: Record<string, NomadTaskState>;
}

/** `api.AllocationListStub` (`GET /v1/allocations`). */
export interface NomadAllocationListStub extends NomadAllocCommon {
  JobType: string;
  JobVersion: number;
}

/** `api.Allocation` (`GET /v1/allocation/:id`, `GET /v1/node/:id/allocations`). */
export interface NomadAllocation extends NomadAllocCommon {
  AllocModifyIndex: number;
  AllocatedResources: null;
  DeploymentID: string;
  DesiredTransition: { Migrate: null; Reschedule: null };
  Job: NomadJob;
  Metrics: null;
  NetworkStatus: null;
  PreviousAllocation: string;
  Resources: null;
  Services: null;
  TaskResources: null;
}

/**
 * `api.NodeListStub` (`GET /v1/nodes`), plus fleetgate's `HTTPAddr` (its CLI) and
 * `LastHeartbeat` (Unix ms, the web UI). A heartbeat of a ready node does not bump the modify
 * index, so a blocking query is not woken by `LastHeartbeat` alone.
 */
export interface NomadNodeListStub {
  Address: string;
  /** `?resources=true` only (Go: omitempty). */
  NodeResources?: NomadNodeResources;
  CreateIndex: number;
  Datacenter: string;
  Drain: boolean;
  Drivers: null;
  HTTPAddr: string;
  ID: NodeId;
  LastDrain: null;
  LastHeartbeat: number;
  ModifyIndex: number;
  Name: string;
  NodeClass: string;
  NodePool: string;
  SchedulingEligibility: 'eligible';
  Status: NodeRecord['Status'];
  StatusDescription: string;
  Version: string;
}

/**
 * `api.NodeResources`: the node's capacity as its agent measured it at start (Nomad's
 * fingerprint). Keys in Nomad's order (ascending byte order of the field names).
 */
export interface NomadNodeResources {
  /** CpuShares: total compute in MHz (sum over cores); ReservableCpuCores: the core ids. */
  Cpu: { CpuShares: number; ReservableCpuCores: number[]; TotalCpuCores: number };
  Devices: null;
  /** Free space of the agent's data directory's file system, in MiB (Nomad: free at fingerprint). */
  Disk: { DiskMB: number };
  /** Dynamic ports: the agent allocates none (no scheduler), so 0 as for an unset range. */
  MaxDynamicPort: number;
  Memory: { MemoryMB: number };
  MinDynamicPort: number;
  /** The interface that holds the advertised address, when the agent found one. */
  Networks: NomadNetworkResource[] | null;
}

/** `api.NetworkResource` of a host network as Nomad's network fingerprint reports it. */
export interface NomadNetworkResource {
  CIDR: string;
  DNS: null;
  Device: string;
  DynamicPorts: null;
  Hostname: string;
  IP: string;
  /** Link speed from the kernel; 0 when it does not say (loopback, many virtual NICs). */
  MBits: number;
  Mode: 'host';
  ReservedPorts: null;
}

/** `api.Node` (`GET /v1/node/:id`), plus fleetgate's `Version` and `LastHeartbeat` (as above). */
export interface NomadNode {
  Attributes: Record<string, string>;
  CSIControllerPlugins: null;
  CSINodePlugins: null;
  CgroupParent: string;
  CreateIndex: number;
  Datacenter: string;
  Drain: boolean;
  DrainStrategy: null;
  Drivers: null;
  Events: null;
  HTTPAddr: string;
  HostNetworks: null;
  HostVolumes: null;
  ID: NodeId;
  LastDrain: null;
  LastHeartbeat: number;
  Links: null;
  Meta: Record<string, string>;
  ModifyIndex: number;
  Name: string;
  NodeClass: string;
  NodePool: string;
  NodeResources: NomadNodeResources | null;
  Reserved: null;
  ReservedResources: null;
  Resources: null;
  SchedulingEligibility: 'eligible';
  Status: NodeRecord['Status'];
  StatusDescription: string;
  StatusUpdatedAt: number;
  TLSEnabled: boolean;
  Version: string;
}

import { z } from 'zod';

/*
 * Decoders mirroring the Go structs of Nomad's `api` package, the types its Go client decodes
 * responses into. Stricter than Go's decoder on purpose: every field the struct declares must be
 * present (Go would silently leave a missing one at its zero value, which is how `nomad alloc
 * logs` came to dereference a nil Job), and each must have the JSON type Go expects. Pointers,
 * maps and slices may be null, as Go accepts. Fields tagged `omitempty` may be absent.
 * Unknown fields pass, as in Go.
 */

/** int64 / uint64: integral JSON numbers (Unix nanoseconds exceed 2^53, so no safe-int check). */
const int64 = z.number().refine(Number.isInteger, 'expected an integer');
const uint64 = int64.refine((n) => n >= 0, 'expected an unsigned integer');
const float64 = z.number();
/** time.Time: RFC 3339 with optional fraction, as Go's encoder writes it. */
const goTime = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/, 'Go time');
/** []byte: standard base64. */
const goBytes = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const strMap = z.record(z.string(), z.string()).nullable();
/** A pointer to a struct we do not model further (Resources, Metrics, ...). */
const anyStruct = z.object({}).passthrough().nullable();

export const TaskEvent = z.object({
  Type: z.string(),
  Time: int64,
  DisplayMessage: z.string(),
  Details: strMap,
  Message: z.string(),
});

export const TaskState = z.object({
  State: z.string(),
  Failed: z.boolean(),
  Restarts: uint64,
  LastRestart: goTime,
  StartedAt: goTime,
  FinishedAt: goTime,
  Events: z.array(TaskEvent).nullable(),
  TaskHandle: z.object({ Version: int64, DriverState: goBytes.nullable() }).nullable(),
});

/** `api.Job`: every field is a pointer; the ones the CLI reads are checked. */
export const Job = z.object({
  ID: z.string().nullable(),
  Name: z.string().nullable(),
  Namespace: z.string().nullable(),
  Type: z.string().nullable(),
  Version: uint64.nullable(),
  TaskGroups: z
    .array(
      z.object({
        Name: z.string().nullable(),
        Tasks: z.array(z.object({ Name: z.string(), Driver: z.string() })).nullable(),
      }),
    )
    .nullable(),
});

const allocCommon = {
  ID: z.string(),
  EvalID: z.string(),
  Name: z.string(),
  Namespace: z.string(),
  NodeID: z.string(),
  NodeName: z.string(),
  JobID: z.string(),
  TaskGroup: z.string(),
  DesiredStatus: z.string(),
  DesiredDescription: z.string(),
  ClientStatus: z.string(),
  ClientDescription: z.string(),
  TaskStates: z.record(z.string(), TaskState.nullable()).nullable(),
  DeploymentStatus: anyStruct,
  FollowupEvalID: z.string(),
  NextAllocation: z.string(),
  RescheduleTracker: anyStruct,
  PreemptedAllocations: z.array(z.string()).nullable(),
  PreemptedByAllocation: z.string(),
  CreateIndex: uint64,
  ModifyIndex: uint64,
  CreateTime: int64,
  ModifyTime: int64,
};

export const Allocation = z.object({
  ...allocCommon,
  Job: Job.nullable(),
  Resources: anyStruct,
  TaskResources: z.record(z.string(), anyStruct).nullable(),
  AllocatedResources: anyStruct,
  Services: strMap,
  Metrics: anyStruct,
  DesiredTransition: z.object({ Migrate: z.boolean().nullable(), Reschedule: z.boolean().nullable() }),
  DeploymentID: z.string(),
  PreviousAllocation: z.string(),
  NetworkStatus: anyStruct,
  AllocModifyIndex: uint64,
});

export const AllocationListStub = z.object({
  ...allocCommon,
  JobType: z.string(),
  JobVersion: uint64,
  AllocatedResources: anyStruct.optional(),
});

const uint16 = uint64.refine((n) => n <= 65_535, 'expected a uint16');

/** api.NetworkResource (MBits is *int: a number or null). */
export const NetworkResource = z.object({
  Mode: z.string(),
  Device: z.string(),
  CIDR: z.string(),
  IP: z.string(),
  DNS: anyStruct,
  ReservedPorts: z.array(anyStruct).nullable(),
  DynamicPorts: z.array(anyStruct).nullable(),
  Hostname: z.string(),
  MBits: int64.nullable(),
});

/** api.NodeResources: Cpu, Memory and Disk are structs (not pointers), so never null. */
export const NodeResources = z.object({
  Cpu: z.object({ CpuShares: int64, TotalCpuCores: uint16, ReservableCpuCores: z.array(uint16).nullable() }),
  Memory: z.object({ MemoryMB: int64 }),
  Disk: z.object({ DiskMB: int64 }),
  Networks: z.array(NetworkResource).nullable(),
  Devices: z.array(anyStruct).nullable(),
  MinDynamicPort: int64,
  MaxDynamicPort: int64,
});

export const NodeListStub = z.object({
  Address: z.string(),
  ID: z.string(),
  Attributes: strMap.optional(),
  Datacenter: z.string(),
  Name: z.string(),
  NodeClass: z.string(),
  NodePool: z.string(),
  Version: z.string(),
  Drain: z.boolean(),
  SchedulingEligibility: z.string(),
  Status: z.string(),
  StatusDescription: z.string(),
  Drivers: z.record(z.string(), anyStruct).nullable(),
  NodeResources: NodeResources.optional(),
  ReservedResources: anyStruct.optional(),
  LastDrain: anyStruct,
  CreateIndex: uint64,
  ModifyIndex: uint64,
});

export const Node = z.object({
  ID: z.string(),
  Datacenter: z.string(),
  Name: z.string(),
  HTTPAddr: z.string(),
  TLSEnabled: z.boolean(),
  Attributes: strMap,
  Resources: anyStruct,
  Reserved: anyStruct,
  NodeResources: NodeResources.nullable(),
  ReservedResources: anyStruct,
  Links: strMap,
  Meta: strMap,
  NodeClass: z.string(),
  NodePool: z.string(),
  CgroupParent: z.string(),
  Drain: z.boolean(),
  DrainStrategy: anyStruct,
  SchedulingEligibility: z.string(),
  Status: z.string(),
  StatusDescription: z.string(),
  StatusUpdatedAt: int64,
  Events: z.array(anyStruct).nullable(),
  Drivers: z.record(z.string(), anyStruct).nullable(),
  HostVolumes: z.record(z.string(), anyStruct).nullable(),
  HostNetworks: z.record(z.string(), anyStruct).nullable(),
  CSIControllerPlugins: z.record(z.string(), anyStruct).nullable(),
  CSINodePlugins: z.record(z.string(), anyStruct).nullable(),
  LastDrain: anyStruct,
  CreateIndex: uint64,
  ModifyIndex: uint64,
});

export const AllocFileInfo = z.object({
  Name: z.string(),
  IsDir: z.boolean(),
  Size: int64,
  FileMode: z.string(),
  ModTime: goTime,
  ContentType: z.string().optional(),
});

const MemoryStats = z.object({
  RSS: uint64,
  Cache: uint64,
  Swap: uint64,
  Usage: uint64,
  MaxUsage: uint64,
  KernelUsage: uint64,
  KernelMaxUsage: uint64,
  Measured: z.array(z.string()).nullable(),
});
const CpuStats = z.object({
  SystemMode: float64,
  UserMode: float64,
  TotalTicks: float64,
  ThrottledPeriods: uint64,
  ThrottledTime: uint64,
  Percent: float64,
  Measured: z.array(z.string()).nullable(),
});
const ResourceUsage = z.object({
  MemoryStats: MemoryStats.nullable(),
  CpuStats: CpuStats.nullable(),
  DeviceStats: z.array(anyStruct).nullable(),
});

export const AllocResourceUsage = z.object({
  ResourceUsage: ResourceUsage.nullable(),
  Tasks: z
    .record(
      z.string(),
      z.object({
        ResourceUsage: ResourceUsage.nullable(),
        Timestamp: int64,
        Pids: z.record(z.string(), ResourceUsage.nullable()).nullable(),
      }),
    )
    .nullable(),
  Timestamp: int64,
});

const HostDiskStats = z.object({
  Device: z.string(),
  Mountpoint: z.string(),
  Size: uint64,
  Used: uint64,
  Available: uint64,
  UsedPercent: float64,
  InodesUsedPercent: float64,
});

export const HostStats = z.object({
  Memory: z.object({ Total: uint64, Available: uint64, Used: uint64, Free: uint64 }).nullable(),
  CPU: z.array(z.object({ CPU: z.string(), User: float64, System: float64, Idle: float64 })).nullable(),
  DiskStats: z.array(HostDiskStats).nullable(),
  AllocDirStats: HostDiskStats.nullable(),
  DeviceStats: z.array(anyStruct).nullable(),
  Uptime: uint64,
  CPUTicksConsumed: float64,
});

/** `api.StreamFrame`: every field `omitempty`; a heartbeat is `{}`. */
export const StreamFrame = z.object({
  Offset: int64.optional(),
  Data: goBytes.optional(),
  File: z.string().optional(),
  FileEvent: z.string().optional(),
});

export const NodeMetaResponse = z.object({
  Meta: strMap,
  Dynamic: z.record(z.string(), z.string().nullable()).nullable(),
  Static: strMap,
});

export const AllocStopResponse = z.object({ EvalID: z.string() });

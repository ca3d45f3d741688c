import type { AllocId, NodeId } from './ids';

/** spec §4.3. Keys are emitted in this (alphabetical) order; ContentType only from stat. */
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

/**
 * `client/allocs/<id>.json` (design.md "Agent data directory"): written by the task runner or
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
  /** Unix milliseconds of the last heartbeat the registry saw. */
  LastHeartbeat: number;
}

/** An allocation as the registry holds it: its manifest plus the node that runs it. */
export interface AllocRecord extends AllocManifest {
  NodeID: NodeId;
}

/** `GET|POST /v1/client/metadata` (spec §8). */
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

/** `GET /v1/client/stats` (spec §10.1, Nomad ≥ 1.6 names). */
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

/** `GET /v1/client/allocation/:id/stats` (spec §10.2). */
export interface AllocResourceUsage {
  ResourceUsage: ResourceUsage;
  Tasks: Record<string, TaskResourceUsage>;
  Timestamp: number;
}

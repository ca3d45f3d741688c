import type { NodeRecord } from '../wire';

/**
 * A node is `ready` while its last heartbeat is younger than its TTL and `down` from the
 * first millisecond after. Both
 * implementations and the gateway cache compute status with this one rule.
 */
export const statusAt = (lastHeartbeatMs: number, ttlMs: number, nowMs: number): NodeRecord['Status'] =>
  nowMs < lastHeartbeatMs + ttlMs ? 'ready' : 'down';

/** Prefix-of-id and namespace filter shared by both implementations (`/v1/allocations`). */
export const matchesFilter = (
  alloc: { ID: string; NodeID: string; Namespace: string },
  filter: { nodeId?: string; prefix?: string; namespace?: string } = {},
): boolean =>
  (filter.nodeId === undefined || alloc.NodeID === filter.nodeId) &&
  (filter.prefix === undefined || alloc.ID.startsWith(filter.prefix)) &&
  (filter.namespace === undefined || filter.namespace === '*' || alloc.Namespace === filter.namespace);

/**
 * The next value of the registry's modify index (the rule RegistryIndex describes): one more than
 * the last, and never below the clock in ms, so it keeps growing across a registry that lost it.
 */
export const nextIndex = (last: number, nowMs: number): number => Math.max(last + 1, Math.floor(nowMs));

/**
 * A record as it is stored: without the index stamps a read adds. The registry stamps them
 * itself; a caller that writes back a record it read must not store them, or an unchanged
 * record would compare as changed.
 */
export const withoutStamps = <T extends { CreateIndex?: number; ModifyIndex?: number }>(
  r: T,
): Omit<T, 'CreateIndex' | 'ModifyIndex'> => {
  const { CreateIndex: _c, ModifyIndex: _m, ...rest } = r;
  return rest;
};

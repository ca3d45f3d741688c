import type { RouteCapability } from '../../../src/wire/capabilities';
import { ROUTES, type RouteId } from '../../../src/wire/routes';
import type { Need } from './http';

/**
 * Capabilities of the calls the UI makes: client routes come from the one route table the
 * gateway enforces, so the UI can never disagree with it; the registry reads the gateway serves
 * itself need node read (nodes) or read-job in the allocation's namespace (allocations).
 */
export const routeNeed = (id: RouteId, namespace?: string): Need => ({
  capability: ROUTES[id].capability,
  ...(namespace !== undefined ? { namespace } : {}),
});

export const NODE_READ: RouteCapability = { kind: 'node', level: 'read' };
export const READ_JOB: RouteCapability = { kind: 'namespace', anyOf: ['read-job'] };

export const nodeRead: Need = { capability: NODE_READ };
export const readJob = (namespace?: string): Need => ({
  capability: READ_JOB,
  ...(namespace !== undefined ? { namespace } : {}),
});

/** "node read", "read-fs in namespace default", "read-logs or read-fs in namespace web". */
export const describeNeed = (need: Need): string => {
  const c = need.capability;
  if (c.kind === 'node') return `node ${c.level}`;
  if (c.kind === 'none') return 'nothing';
  const caps = c.anyOf.join(' or ');
  return need.namespace ? `${caps} in namespace ${need.namespace}` : caps;
};

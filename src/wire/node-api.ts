/**
 * The node API both sides speak (agents call it, gateways serve it); docs/node-api.md describes
 * the bodies. Header names and paths live here so neither side spells them on its own.
 */
export const NODE_SECRET_HEADER = 'x-fleetgate-node-secret';
export const JOIN_TOKEN_HEADER = 'x-fleetgate-join-token';

export const NODE_API = {
  register: (id: string) => `/v1/internal/node/${id}/register`,
  heartbeat: (id: string) => `/v1/internal/node/${id}/heartbeat`,
  allocs: (id: string) => `/v1/internal/node/${id}/allocs`,
  alloc: (id: string, allocId: string) => `/v1/internal/node/${id}/allocs/${allocId}`,
  acl: (id: string) => `/v1/internal/node/${id}/acl`,
} as const;

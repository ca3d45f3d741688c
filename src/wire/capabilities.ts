/** Capability and policy names exactly as Nomad spells them (policies written for Nomad work unchanged). */
export const NAMESPACE_CAPABILITIES = [
  'deny',
  'list-jobs',
  'parse-job',
  'read-job',
  'submit-job',
  'dispatch-job',
  'read-logs',
  'read-fs',
  'alloc-exec',
  'alloc-lifecycle',
  'alloc-node-exec',
  'csi-list-volume',
  'csi-read-volume',
  'csi-write-volume',
  'csi-mount-volume',
  'csi-register-plugin',
  'list-scaling-policies',
  'read-scaling-policy',
  'read-job-scaling',
  'scale-job',
  'submit-recommendation',
  'sentinel-override',
  'host-volume-read',
  'host-volume-create',
  'host-volume-register',
  'host-volume-write',
  'host-volume-delete',
  'gc-allocation',
] as const;
export type Capability = (typeof NAMESPACE_CAPABILITIES)[number];

export const NAMESPACE_POLICIES = ['deny', 'read', 'write', 'scale'] as const;
export type NamespacePolicy = (typeof NAMESPACE_POLICIES)[number];

export const NODE_POLICIES = ['deny', 'read', 'write'] as const;
export type NodePolicy = (typeof NODE_POLICIES)[number];

/**
 * What a route needs. `namespace` lists alternatives: any one of them suffices
 * (logs: read-logs OR read-fs; alloc GC: submit-job OR gc-allocation).
 */
export type RouteCapability =
  | { readonly kind: 'namespace'; readonly anyOf: readonly Capability[] }
  | { readonly kind: 'node'; readonly level: 'read' | 'write' }
  | { readonly kind: 'none' };

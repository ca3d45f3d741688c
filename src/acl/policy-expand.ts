import type { Capability, NamespacePolicy, NodePolicy } from '../wire/capabilities';

/**
 * From a policy document to the expanded Policy the evaluator (acl.ts) consumes, without the
 * validation (policy.ts validates with zod first). Kept apart from the validation and free of
 * dependencies so the web UI can bundle it: it reads policies the gateway validated when they
 * were applied, to offer only the actions a token may take.
 */
export interface NamespaceRule {
  readonly name: string;
  /** Explicit capabilities followed by the shorthand's list. */
  readonly capabilities: readonly Capability[];
}

/** A validated, expanded policy: what the evaluator consumes. */
export interface Policy {
  readonly namespaces: readonly NamespaceRule[];
  readonly node?: NodePolicy;
  readonly agent?: NodePolicy;
}

// The shorthands' capability lists as Nomad expands them (1.10+ host volumes, 2.0 scale additions).
const READ: readonly Capability[] = [
  'list-jobs',
  'parse-job',
  'read-job',
  'csi-list-volume',
  'csi-read-volume',
  'read-job-scaling',
  'list-scaling-policies',
  'read-scaling-policy',
  'host-volume-read',
];
const WRITE: readonly Capability[] = [
  ...READ,
  'scale-job',
  'submit-job',
  'dispatch-job',
  'read-logs',
  'read-fs',
  'alloc-exec',
  'alloc-lifecycle',
  'csi-mount-volume',
  'csi-write-volume',
  'submit-recommendation',
  'host-volume-create',
];
const SCALE: readonly Capability[] = [
  'list-scaling-policies',
  'read-scaling-policy',
  'read-job-scaling',
  'scale-job',
  'read-job',
  'submit-recommendation',
];

export const SHORTHANDS: Readonly<Record<NamespacePolicy, readonly Capability[]>> = {
  deny: ['deny'],
  read: READ,
  write: WRITE,
  scale: SCALE,
};

/** Nomad's `expandNamespacePolicy`: the shorthand's list is appended to the explicit list. */
export const expandNamespaceRule = (rule: {
  policy?: NamespacePolicy;
  capabilities?: Capability[];
}): Capability[] => [...(rule.capabilities ?? []), ...(rule.policy ? SHORTHANDS[rule.policy] : [])];

/** A policy document's shape once validated (policy.ts checks every key and value). */
export interface ValidPolicyDocument {
  namespace?: Record<string, { policy?: NamespacePolicy; capabilities?: Capability[] }>;
  node?: { policy: NodePolicy };
  agent?: { policy: NodePolicy };
}

export const policyFromValidDocument = (d: ValidPolicyDocument): Policy => ({
  namespaces: Object.entries(d.namespace ?? {}).map(([name, rule]) => ({
    name,
    capabilities: expandNamespaceRule(rule),
  })),
  ...(d.node ? { node: d.node.policy } : {}),
  ...(d.agent ? { agent: d.agent.policy } : {}),
});

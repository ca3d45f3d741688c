import { z } from 'zod';
import { NAMESPACE_CAPABILITIES, NAMESPACE_POLICIES, NODE_POLICIES } from '../wire';
import type { Capability, NamespacePolicy, NodePolicy } from '../wire';

/**
 * Policy documents (design.md "Tokens"): JSON in the shape of Nomad's policies. Parsing is
 * strict — an unknown key or capability is an error, not silently ignored, because a typo in a
 * security policy that quietly grants nothing (or too much) is worse than a rejected apply.
 */

/** Spec §3.4: namespace rule names (globs allowed). */
export const NAMESPACE_RULE_NAME = /^[a-zA-Z0-9-*]{1,128}$/;

/** Stored policy names, as Nomad validates them (no globs). */
export const POLICY_NAME = /^[a-zA-Z0-9-]{1,128}$/;

const capability = z.enum(NAMESPACE_CAPABILITIES, {
  error: (iss) =>
    `unknown capability ${JSON.stringify(iss.input)} (known: ${NAMESPACE_CAPABILITIES.join(', ')})`,
});

const namespaceRule = z.strictObject({
  policy: z
    .enum(NAMESPACE_POLICIES, {
      error: (iss) =>
        `invalid namespace policy ${JSON.stringify(iss.input)} (want one of ${NAMESPACE_POLICIES.join(', ')})`,
    })
    .optional(),
  capabilities: z.array(capability).optional(),
});

const nodeRule = z.strictObject({
  policy: z.enum(NODE_POLICIES, {
    error: (iss) =>
      `invalid node policy ${JSON.stringify(iss.input)} (want one of ${NODE_POLICIES.join(', ')})`,
  }),
});

export const policyDocumentSchema = z.strictObject({
  namespace: z
    .record(z.string(), namespaceRule)
    // Keys are checked here rather than by a key schema: zod reports a bad record key only as
    // "Invalid key in record", and the operator needs to know which name is wrong and why.
    .superRefine((rules, ctx) => {
      for (const name of Object.keys(rules)) {
        if (!NAMESPACE_RULE_NAME.test(name)) {
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: `invalid namespace name ${JSON.stringify(name)}: must match ${NAMESPACE_RULE_NAME.source}`,
          });
        }
      }
    })
    .optional(),
  node: nodeRule.optional(),
  // Parsed for Nomad compatibility; no client endpoint checks it (spec §3.3).
  agent: nodeRule.optional(),
});

export type PolicyDocument = z.infer<typeof policyDocumentSchema>;

export interface NamespaceRule {
  readonly name: string;
  /** Explicit capabilities followed by the shorthand's list (spec §3.4). */
  readonly capabilities: readonly Capability[];
}

/** A validated, expanded policy: what the evaluator consumes. */
export interface Policy {
  readonly namespaces: readonly NamespaceRule[];
  readonly node?: NodePolicy;
  readonly agent?: NodePolicy;
}

// Spec §3.4, Nomad HEAD (1.10+ host volumes, 2.0 scale additions).
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

/** Thrown for a policy that does not parse or validate; `message` is the reason for a 400. */
export class PolicyError extends Error {
  override name = 'PolicyError';
}

const describe = (error: z.ZodError): string =>
  error.issues
    .map((i) => {
      const where = i.path.map(String).join('.');
      return where ? `${where}: ${i.message}` : i.message;
    })
    .join('; ');

/** Validate an already-decoded document (inline token rules arrive as objects). */
export const policyFromDocument = (doc: unknown): Policy => {
  const parsed = policyDocumentSchema.safeParse(doc);
  if (!parsed.success) throw new PolicyError(describe(parsed.error));
  const d = parsed.data;
  return {
    namespaces: Object.entries(d.namespace ?? {}).map(([name, rule]) => ({
      name,
      capabilities: expandNamespaceRule(rule),
    })),
    ...(d.node ? { node: d.node.policy } : {}),
    ...(d.agent ? { agent: d.agent.policy } : {}),
  };
};

/** Parse a policy's `Rules` text (JSON, where Nomad takes HCL). */
export const parsePolicy = (rules: string): Policy => {
  let doc: unknown;
  try {
    doc = JSON.parse(rules);
  } catch (e) {
    throw new PolicyError(`Rules is not valid JSON: ${(e as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new PolicyError('Rules must be a JSON object like {"namespace":{"default":{"policy":"read"}}}');
  }
  return policyFromDocument(doc);
};

import { z } from 'zod';
import { dictSchema, NAMESPACE_CAPABILITIES, NAMESPACE_POLICIES, NODE_POLICIES } from '../wire';
import { policyFromValidDocument, type Policy } from './policy-expand';

/**
 * Policy documents: JSON in the shape of Nomad's policies. Parsing is
 * strict — an unknown key or capability is an error, not silently ignored, because a typo in a
 * security policy that quietly grants nothing (or too much) is worse than a rejected apply.
 */

/** Namespace rule names as Nomad accepts them (globs allowed). */
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
  namespace: dictSchema(z, namespaceRule)
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
  // Parsed for Nomad compatibility; no client endpoint checks the agent policy.
  agent: nodeRule.optional(),
});

export type PolicyDocument = z.infer<typeof policyDocumentSchema>;

export type { NamespaceRule, Policy } from './policy-expand';
export { expandNamespaceRule, SHORTHANDS } from './policy-expand';

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

/**
 * Namespace rule names as they appear in the decoded document, before any schema copies them:
 * a copy made by assignment silently turns a `__proto__` key into a prototype, so the name would
 * never reach the name check below.
 */
const rawRuleNames = (doc: unknown): string[] => {
  const ns = (doc as { namespace?: unknown } | null)?.namespace;
  return ns !== null && typeof ns === 'object' ? Object.keys(ns) : [];
};

/** Validate an already-decoded document (inline token rules arrive as objects). */
export const policyFromDocument = (doc: unknown): Policy => {
  for (const name of rawRuleNames(doc)) {
    if (!NAMESPACE_RULE_NAME.test(name))
      throw new PolicyError(
        `namespace.${name}: invalid namespace name ${JSON.stringify(name)}: must match ${NAMESPACE_RULE_NAME.source}`,
      );
  }
  const parsed = policyDocumentSchema.safeParse(doc);
  if (!parsed.success) throw new PolicyError(describe(parsed.error));
  return policyFromValidDocument(parsed.data);
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

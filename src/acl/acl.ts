import type { Capability, NodePolicy } from '../wire';
import type { Policy } from './policy';
import type { Acl } from './types';

/**
 * The pure evaluator of Nomad's ACL rules: compile a token's policies once, then answer each
 * request's question with map lookups. No I/O here, so gateway and agent decide identically.
 */

type CapSet = ReadonlySet<Capability>;

interface Glob {
  readonly name: string;
  readonly re: RegExp;
  readonly stars: number;
  readonly caps: CapSet;
}

/** Merge rules with the same name: union, except `deny` anywhere clears the set to just `deny`. */
const mergeNamespaceRules = (policies: readonly Policy[]): Map<string, Set<Capability>> => {
  const merged = new Map<string, Set<Capability>>();
  for (const policy of policies) {
    for (const rule of policy.namespaces) {
      const prev = merged.get(rule.name);
      if (prev?.has('deny')) continue;
      if (rule.capabilities.includes('deny')) {
        merged.set(rule.name, new Set<Capability>(['deny']));
        continue;
      }
      const next = prev ?? new Set<Capability>();
      for (const c of rule.capabilities) next.add(c);
      merged.set(rule.name, next);
    }
  }
  return merged;
};

const NODE_RANK: Record<NodePolicy, number> = { deny: 0, read: 1, write: 2 };

/** Node level: the maximum privilege, except `deny` in any policy wins (Nomad's rule). */
export const mergeNodePolicies = (levels: readonly (NodePolicy | undefined)[]): NodePolicy | undefined => {
  let result: NodePolicy | undefined;
  for (const level of levels) {
    if (level === undefined) continue;
    if (level === 'deny') return 'deny';
    if (result === undefined || NODE_RANK[level] > NODE_RANK[result]) result = level;
  }
  return result;
};

// Rule names contain only [a-zA-Z0-9-*], so `*` is the only character with a meaning here.
const globRegExp = (name: string): RegExp => new RegExp(`^${name.split('*').join('.*')}$`);

/**
 * Closest glob by Nomad's score `len(ns) − len(glob) + count('*')` (lower is closer). Nomad's tie
 * order is unspecified in Nomad; we break ties by name so the answer is at least stable.
 */
const closestGlob = (globs: readonly Glob[], ns: string): Glob | undefined => {
  let best: Glob | undefined;
  let bestScore = Infinity;
  for (const g of globs) {
    if (!g.re.test(ns)) continue;
    const score = ns.length - g.name.length + g.stars;
    if (score < bestScore || (score === bestScore && best !== undefined && g.name < best.name)) {
      best = g;
      bestScore = score;
    }
  }
  return best;
};

export const MANAGEMENT_ACL: Acl = {
  management: true,
  allowNamespaceOp: () => true,
  allowNodeRead: () => true,
  allowNodeWrite: () => true,
};

/** Compile a client token's (or the anonymous token's) policies into an Acl. */
export const compileAcl = (policies: readonly Policy[]): Acl => {
  const exact = new Map<string, CapSet>();
  const globs: Glob[] = [];
  for (const [name, caps] of mergeNamespaceRules(policies)) {
    if (name.includes('*')) {
      globs.push({ name, re: globRegExp(name), stars: name.split('*').length - 1, caps });
    } else {
      exact.set(name, caps);
    }
  }
  const node = mergeNodePolicies(policies.map((p) => p.node));

  const capsFor = (ns: string): CapSet | undefined => exact.get(ns) ?? closestGlob(globs, ns)?.caps;
  const allowedIn = (caps: CapSet | undefined, op: Capability): boolean =>
    caps !== undefined && !caps.has('deny') && caps.has(op);

  return {
    management: false,
    allowNamespaceOp: (ns, op) => {
      // As in Nomad, `*` asks "is it allowed in any namespace?".
      if (ns === '*') {
        for (const caps of exact.values()) if (allowedIn(caps, op)) return true;
        return globs.some((g) => allowedIn(g.caps, op));
      }
      return allowedIn(capsFor(ns), op);
    },
    allowNodeRead: () => node === 'read' || node === 'write',
    allowNodeWrite: () => node === 'write',
  };
};

/** Nothing allowed: a client token none of whose policies exist. */
export const DENY_ALL_ACL: Acl = compileAcl([]);

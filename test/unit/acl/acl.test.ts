import { compileAcl, MANAGEMENT_ACL, mergeNodePolicies } from '../../../src/acl/acl';
import { parsePolicy } from '../../../src/acl/policy';
import type { Capability } from '../../../src/wire';

const acl = (...docs: unknown[]) => compileAcl(docs.map((d) => parsePolicy(JSON.stringify(d))));
const ns = (rules: Record<string, { policy?: string; capabilities?: string[] }>) => ({ namespace: rules });

describe('namespace matching (spec §3.5, §13 #78–80)', () => {
  const cases: Array<[string, unknown[], string, Capability, boolean]> = [
    [
      '#78 glob prod-api-* write allows prod-api-services',
      [ns({ 'prod-api-*': { policy: 'write' } })],
      'prod-api-services',
      'read-fs',
      true,
    ],
    [
      '#78 prod-api does not match prod-api-services',
      [ns({ 'prod-api': { policy: 'write' } })],
      'prod-api-services',
      'read-fs',
      false,
    ],
    [
      '#79 exact deny beats glob write',
      [ns({ 'prod-api-services': { policy: 'deny' }, 'prod-api-*': { policy: 'write' } })],
      'prod-api-services',
      'read-job',
      false,
    ],
    [
      '#79 exact write beats glob deny',
      [ns({ 'prod-api-*': { policy: 'deny' }, 'prod-api-services': { policy: 'write' } })],
      'prod-api-services',
      'read-job',
      true,
    ],
    [
      '#79 exact and glob in different policies',
      [ns({ 'prod-api-*': { policy: 'deny' } }), ns({ 'prod-api-services': { policy: 'write' } })],
      'prod-api-services',
      'read-fs',
      true,
    ],
    [
      '#80 closer glob *-api-services deny wins',
      [ns({ '*-api-services': { policy: 'deny' }, 'prod-api-*': { policy: 'write' } })],
      'prod-api-services',
      'read-job',
      false,
    ],
    [
      '#80 any order',
      [ns({ 'prod-api-*': { policy: 'write' } }), ns({ '*-api-services': { policy: 'deny' } })],
      'prod-api-services',
      'read-job',
      false,
    ],
    [
      '#80 the closer glob grants',
      [ns({ '*-api-services': { policy: 'write' }, 'prod-api-*': { policy: 'deny' } })],
      'prod-api-services',
      'read-fs',
      true,
    ],
    ['* matches empty run', [ns({ 'prod-*': { policy: 'write' } })], 'prod-', 'read-fs', true],
    ['* alone matches everything', [ns({ '*': { policy: 'read' } })], 'anything', 'read-job', true],
    ['no rule, no access', [ns({ other: { policy: 'write' } })], 'default', 'read-fs', false],
    ['read lacks read-fs', [ns({ default: { policy: 'read' } })], 'default', 'read-fs', false],
    [
      'read-logs only has no read-fs',
      [ns({ default: { capabilities: ['read-logs'] } })],
      'default',
      'read-fs',
      false,
    ],
    [
      'read-logs only has read-logs',
      [ns({ default: { capabilities: ['read-logs'] } })],
      'default',
      'read-logs',
      true,
    ],
    [
      'union across policies',
      [ns({ default: { capabilities: ['read-logs'] } }), ns({ default: { capabilities: ['read-fs'] } })],
      'default',
      'read-fs',
      true,
    ],
    [
      'deny merged in later clears',
      [ns({ default: { policy: 'write' } }), ns({ default: { policy: 'deny' } })],
      'default',
      'read-fs',
      false,
    ],
    [
      'deny merged in first sticks',
      [ns({ default: { policy: 'deny' } }), ns({ default: { policy: 'write' } })],
      'default',
      'read-fs',
      false,
    ],
    [
      'explicit deny capability',
      [ns({ default: { capabilities: ['read-fs', 'deny'] } })],
      'default',
      'read-fs',
      false,
    ],
    [
      'deny on another rule name does not leak',
      [ns({ 'def*': { policy: 'deny' } }), ns({ default: { policy: 'write' } })],
      'default',
      'read-fs',
      true,
    ],
    [
      'gc-allocation explicit',
      [ns({ default: { capabilities: ['gc-allocation'] } })],
      'default',
      'gc-allocation',
      true,
    ],
    ['ns * asks any namespace', [ns({ other: { capabilities: ['read-fs'] } })], '*', 'read-fs', true],
    ['ns * none allow', [ns({ other: { capabilities: ['read-logs'] } })], '*', 'read-fs', false],
  ];
  it.each(cases)('%s', (_name, docs, namespace, cap, allowed) => {
    expect(acl(...docs).allowNamespaceOp(namespace, cap)).toBe(allowed);
  });

  it('glob ties are decided stably by name', () => {
    // Both score 4 for "ab-cd": a*-cd and ab-* (equal lengths, one star).
    const a = acl(ns({ 'ab-*': { policy: 'deny' }, '*b-cd': { policy: 'write' } }));
    const b = acl(ns({ '*b-cd': { policy: 'write' } }), ns({ 'ab-*': { policy: 'deny' } }));
    expect(a.allowNamespaceOp('ab-cd', 'read-fs')).toBe(b.allowNamespaceOp('ab-cd', 'read-fs'));
  });
});

describe('node levels (spec §3.3)', () => {
  it.each([
    [[], false, false],
    [['deny'], false, false],
    [['read'], true, false],
    [['write'], true, true],
    [['read', 'write'], true, true],
    [['write', 'deny'], false, false],
    [['deny', 'write'], false, false],
  ] as const)('%j → read %s write %s', (levels, read, write) => {
    const a = acl(...levels.map((policy) => ({ node: { policy } })));
    expect(a.allowNodeRead()).toBe(read);
    expect(a.allowNodeWrite()).toBe(write);
  });

  it('merge ignores policies without a node rule', () => {
    expect(mergeNodePolicies([undefined, 'read', undefined])).toBe('read');
    expect(mergeNodePolicies([undefined])).toBeUndefined();
  });

  it('namespace rules do not grant node access', () => {
    expect(acl(ns({ '*': { policy: 'write' } })).allowNodeRead()).toBe(false);
  });
});

describe('management', () => {
  it('allows everything', () => {
    expect(MANAGEMENT_ACL.management).toBe(true);
    expect(MANAGEMENT_ACL.allowNamespaceOp('any', 'alloc-node-exec')).toBe(true);
    expect(MANAGEMENT_ACL.allowNodeWrite()).toBe(true);
    expect(acl({ node: { policy: 'write' } }).management).toBe(false);
  });
});

import { parsePolicy, PolicyError, SHORTHANDS } from '../../../src/acl/policy';

const caps = (doc: unknown, ns = 'default') =>
  parsePolicy(JSON.stringify(doc)).namespaces.find((r) => r.name === ns)?.capabilities ?? [];

describe('policy documents', () => {
  it('spec §13 #81: read has read-job but not read-fs/read-logs; write has read-fs, read-logs, submit-job', () => {
    const read = caps({ namespace: { default: { policy: 'read' } } });
    expect(read).toContain('read-job');
    expect(read).toContain('host-volume-read');
    expect(read).not.toContain('read-fs');
    expect(read).not.toContain('read-logs');
    const write = caps({ namespace: { default: { policy: 'write' } } });
    for (const c of [
      'read-fs',
      'read-logs',
      'submit-job',
      'read-job',
      'host-volume-create',
      'submit-recommendation',
    ])
      expect(write).toContain(c);
    for (const c of ['alloc-node-exec', 'sentinel-override', 'gc-allocation']) expect(write).not.toContain(c);
  });

  it('shorthand lists are exactly spec §3.4', () => {
    expect(SHORTHANDS.deny).toEqual(['deny']);
    expect([...SHORTHANDS.scale].sort()).toEqual(
      [
        'list-scaling-policies',
        'read-scaling-policy',
        'read-job-scaling',
        'scale-job',
        'read-job',
        'submit-recommendation',
      ].sort(),
    );
    expect(SHORTHANDS.read).toHaveLength(9);
    expect(SHORTHANDS.write).toHaveLength(9 + 11);
  });

  it('appends the shorthand to explicit capabilities', () => {
    expect(caps({ namespace: { default: { policy: 'deny', capabilities: ['read-logs'] } } })).toEqual([
      'read-logs',
      'deny',
    ]);
  });

  it('parses node and agent levels', () => {
    const p = parsePolicy('{"node":{"policy":"write"},"agent":{"policy":"read"}}');
    expect(p.node).toBe('write');
    expect(p.agent).toBe('read');
    expect(p.namespaces).toEqual([]);
  });

  it.each([
    ['not json', /not valid JSON/],
    ['[]', /must be a JSON object/],
    [
      '{"namespace":{"default":{"policy":"list"}}}',
      /namespace\.default\.policy: invalid namespace policy "list"/,
    ],
    [
      '{"namespace":{"default":{"capabilities":["read-everything"]}}}',
      /unknown capability "read-everything"/,
    ],
    ['{"namespace":{"bad name!":{"policy":"read"}}}', /invalid namespace name "bad name!"/],
    // zod's own record dropped this key before the name check saw it, so it parsed as no rule.
    ['{"namespace":{"__proto__":{"policy":"write"}}}', /invalid namespace name "__proto__"/],
    [`{"namespace":{"${'a'.repeat(129)}":{"policy":"read"}}}`, /invalid namespace name/],
    ['{"node":{"policy":"list"}}', /node\.policy: invalid node policy "list"/],
    ['{"nodes":{"policy":"read"}}', /nodes/],
    ['{"namespace":{"default":{"policy":"read","capability":["read-fs"]}}}', /capability/],
  ])('rejects %s with a clear reason', (text, reason) => {
    expect(() => parsePolicy(text)).toThrow(PolicyError);
    expect(() => parsePolicy(text)).toThrow(reason);
  });

  it('accepts globs in namespace names', () => {
    expect(
      parsePolicy('{"namespace":{"prod-*":{"policy":"read"},"*":{"policy":"deny"}}}').namespaces,
    ).toHaveLength(2);
  });
});

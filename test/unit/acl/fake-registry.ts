import type { PolicyRecord, Registry, RegistryChange } from '../../../src/registry/registry';

export type AclRegistry = Pick<
  Registry,
  | 'getPolicy'
  | 'putPolicy'
  | 'listPolicies'
  | 'deletePolicy'
  | 'isRevoked'
  | 'revokeToken'
  | 'claimBootstrap'
  | 'onChange'
>;

/** The ACL slice of the Registry contract, in memory, publishing changes like the real ones. */
export class FakeAclRegistry implements AclRegistry {
  readonly policies = new Map<string, PolicyRecord>();
  readonly revoked = new Set<string>();
  bootstrapped = false;
  calls = { getPolicy: 0, isRevoked: 0 };
  /** Set to make lookups fail (registry down). */
  failing = false;
  private listeners = new Set<(c: RegistryChange) => void>();

  private emit(c: RegistryChange): void {
    for (const l of this.listeners) l(c);
  }
  private check(): void {
    if (this.failing) throw new Error('connection refused');
  }
  async getPolicy(name: string) {
    this.calls.getPolicy++;
    this.check();
    return this.policies.get(name);
  }
  async putPolicy(p: PolicyRecord) {
    this.policies.set(p.Name, p);
    this.emit({ kind: 'policy', name: p.Name });
  }
  async listPolicies() {
    return [...this.policies.values()];
  }
  async deletePolicy(name: string) {
    this.policies.delete(name);
    this.emit({ kind: 'policy', name });
  }
  async isRevoked(jti: string) {
    this.calls.isRevoked++;
    this.check();
    return this.revoked.has(jti);
  }
  async revokeToken(jti: string) {
    this.revoked.add(jti);
    this.emit({ kind: 'revoked', jti });
  }
  async claimBootstrap() {
    if (this.bootstrapped) return false;
    this.bootstrapped = true;
    return true;
  }
  onChange(l: (c: RegistryChange) => void) {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  }
}

export const policy = (name: string, doc: unknown): PolicyRecord => ({
  Name: name,
  Description: '',
  Rules: JSON.stringify(doc),
});

import type { PolicyRecord, RegistryChange } from '../registry/registry';
import type { AclSnapshot } from './state-feed';

/**
 * An agent's copy of the ACL state, filled by the watch on the gateways (never by Redis). It
 * answers the authenticator's lookups like a registry, and announces each policy or revocation
 * that changed between two snapshots, so the authenticator's caches drop exactly those.
 */
export class AclMirror {
  private policies = new Map<string, string>();
  private revoked = new Map<string, number>();
  private publicKeyPem: string | null = null;
  private heardAt = -Infinity;
  private readonly listeners = new Set<(c: RegistryChange) => void>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Replace the state with a gateway's snapshot. */
  apply(s: AclSnapshot): void {
    const policies = new Map(s.Policies.map((p) => [p.Name, p.Rules]));
    const revoked = new Map(s.Revoked.map((r) => [r.jti, r.expiresAtMs]));
    const changes: RegistryChange[] = [];
    for (const name of new Set([...this.policies.keys(), ...policies.keys()]))
      if (this.policies.get(name) !== policies.get(name)) changes.push({ kind: 'policy', name });
    for (const jti of new Set([...this.revoked.keys(), ...revoked.keys()]))
      if (this.revoked.get(jti) !== revoked.get(jti)) changes.push({ kind: 'revoked', jti });
    this.policies = policies;
    this.revoked = revoked;
    this.publicKeyPem = s.PublicKey;
    this.heard();
    for (const c of changes) for (const l of this.listeners) l(c);
  }

  /** A gateway answered (even "nothing changed"): the state is current as of now. */
  heard(): void {
    this.heardAt = this.now();
  }

  /** Local time of the last answer from any gateway; -Infinity before the first. */
  get lastHeard(): number {
    return this.heardAt;
  }

  get publicKey(): string | null {
    return this.publicKeyPem;
  }

  async getPolicy(name: string): Promise<PolicyRecord | undefined> {
    const rules = this.policies.get(name);
    return rules === undefined ? undefined : { Name: name, Description: '', Rules: rules };
  }

  async isRevoked(jti: string): Promise<boolean> {
    const exp = this.revoked.get(jti);
    return exp !== undefined && (exp === 0 || exp > this.now());
  }

  onChange(listener: (c: RegistryChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

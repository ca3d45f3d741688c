/**
 * Counting semaphores for long-lived streams, keyed (per token accessor, per allocation) under
 * one total. Pure: no I/O, no timers. A limit of 0 means unlimited. A slot is held from
 * `tryAcquire` until its `release` (idempotent), so a closed stream frees its slot at once and an
 * open stream is never taken back: limits only refuse new streams.
 */
export interface NamedLimit {
  /** Configuration key naming the limit, e.g. `max_streams_per_token` (what a refusal names). */
  readonly name: string;
  /** 0 = unlimited. */
  readonly max: number;
}

export interface Slot {
  readonly ok: true;
  release(): void;
}

export interface Refusal {
  readonly ok: false;
  readonly limit: NamedLimit;
  /** The scope the limit counted: `total`, or the key's own scope (a token, an allocation). */
  readonly scope: string;
}

export class ConcurrencyLimiter {
  private total = 0;
  private readonly byKey = new Map<string, number>();

  constructor(
    private readonly totalLimit: NamedLimit,
    /** The limit for one key; different keys may have different limits (anonymous vs tokens). */
    private readonly keyLimit: (key: string) => NamedLimit,
  ) {}

  tryAcquire(key: string): Slot | Refusal {
    if (this.totalLimit.max > 0 && this.total >= this.totalLimit.max)
      return { ok: false, limit: this.totalLimit, scope: 'total' };
    const kl = this.keyLimit(key);
    const held = this.byKey.get(key) ?? 0;
    if (kl.max > 0 && held >= kl.max) return { ok: false, limit: kl, scope: key };
    this.total += 1;
    this.byKey.set(key, held + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.total -= 1;
        const n = (this.byKey.get(key) ?? 1) - 1;
        if (n <= 0) this.byKey.delete(key);
        else this.byKey.set(key, n);
      },
    };
  }

  /** Streams currently held. */
  get current(): number {
    return this.total;
  }

  heldBy(key: string): number {
    return this.byKey.get(key) ?? 0;
  }
}

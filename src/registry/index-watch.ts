import type { IndexTable, Registry, RegistryChange, RegistryIndex } from './registry';

export type WaitOutcome = 'changed' | 'timeout' | 'aborted';

interface Waiter {
  tables: readonly IndexTable[];
  min: number;
  wake(): void;
}

/**
 * This process's view of the registry's modify index, for blocking queries. It asks the registry
 * once (and again after a resync, when pub/sub messages may have been lost) and from then on
 * follows the `index` every change carries, so a held query costs no registry round trip: it is
 * a closure in a set and one timer, woken by the pub/sub message of the write it waits for.
 */
export class IndexWatch {
  private known: RegistryIndex = { nodes: 0, allocs: 0 };
  private primed: Promise<void> | undefined;
  private everPrimed = false;
  private readonly waiters = new Set<Waiter>();
  private readonly off: () => void;

  constructor(private readonly registry: Registry) {
    this.off = registry.onChange((c) => this.apply(c));
  }

  private apply(c: RegistryChange): void {
    if (c.kind === 'resync') {
      this.primed = undefined;
      for (const w of [...this.waiters]) w.wake();
      return;
    }
    if (!('index' in c) || c.index === undefined) return;
    const table: IndexTable = c.kind === 'alloc' ? 'allocs' : 'nodes';
    if (c.index <= this.known[table]) return;
    this.known = { ...this.known, [table]: c.index };
    for (const w of [...this.waiters]) if (this.max(w.tables) > w.min) w.wake();
  }

  private max(tables: readonly IndexTable[]): number {
    return Math.max(0, ...tables.map((t) => this.known[t]));
  }

  /** The highest modify index of `tables`; asks the registry only when not known yet. */
  async current(tables: readonly IndexTable[]): Promise<number> {
    if (!this.primed) {
      const p = this.registry.modifyIndex().then((fresh) => {
        this.known = {
          nodes: Math.max(this.known.nodes, fresh.nodes),
          allocs: Math.max(this.known.allocs, fresh.allocs),
        };
        this.everPrimed = true;
      });
      this.primed = p;
      p.catch(() => {
        if (this.primed === p) this.primed = undefined;
      });
    }
    try {
      await this.primed;
    } catch (e) {
      // Re-asking after a resync failed (the registry, or one shard of a cluster, is away): the
      // index we know still only grows, and serving it beats failing a read the cache can answer.
      if (!this.everPrimed) throw e;
    }
    return this.max(tables);
  }

  /**
   * Resolve once the index of `tables` passes `min`, at `deadline` (epoch ms), or when `signal`
   * aborts (the client went away), whichever comes first. Rejects when the registry cannot be
   * asked for the index it does not know yet.
   */
  async waitBeyond(
    tables: readonly IndexTable[],
    min: number,
    deadline: number,
    signal: AbortSignal,
  ): Promise<WaitOutcome> {
    for (;;) {
      if (signal.aborted) return 'aborted';
      if ((await this.current(tables)) > min) return 'changed';
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        const w: Waiter = { tables, min, wake: () => done() };
        const timer = setTimeout(() => done(), left);
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          this.waiters.delete(w);
          resolve();
        };
        signal.addEventListener('abort', done, { once: true });
        this.waiters.add(w);
      });
    }
  }

  /** Held queries right now (tests and metrics). */
  get holding(): number {
    return this.waiters.size;
  }

  close(): void {
    this.off();
    for (const w of [...this.waiters]) w.wake();
  }
}

const watches = new WeakMap<Registry, IndexWatch>();

/** One IndexWatch per registry object, however many apps are built over it. */
export const indexWatchFor = (registry: Registry): IndexWatch => {
  let w = watches.get(registry);
  if (!w) {
    w = new IndexWatch(registry);
    watches.set(registry, w);
  }
  return w;
};

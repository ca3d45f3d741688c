import fs from 'node:fs/promises';
import type { Logger } from 'pino';
import { errors } from '../../errors';
import type { AllocId } from '../../wire';
import { allocDirOf, isTerminal } from '../context';
import type { ManifestStore } from '../manifests/store';

/** Nomad's `gc_parallel_destroys` default: at most this many directories deleted at once. */
export const GC_PARALLEL_DESTROYS = 2;

/**
 * Garbage collection, as Nomad's client does it: only terminal allocations are eligible; collecting
 * deletes `alloc/<id>/` and then the manifest, after which the id is unknown (404). The dir goes
 * first so a crash in between leaves a terminal manifest that can simply be collected again.
 */
export class GarbageCollector {
  private readonly inFlight = new Set<string>();
  private background: Promise<void> = Promise.resolve();

  constructor(
    private readonly dataDir: string,
    private readonly manifests: ManifestStore,
    private readonly log: Logger,
  ) {}

  /** Single GC: waits for destruction; not terminal or already being collected → 500. */
  async collect(id: AllocId): Promise<void> {
    const m = this.manifests.get(id);
    if (!m || !isTerminal(m) || this.inFlight.has(id)) throw errors.notEligibleForGc();
    await this.destroy(id);
  }

  /** GC all: every terminal alloc, destroyed in the background with bounded concurrency. */
  collectAll(): void {
    const queue = this.manifests
      .list()
      .filter((m) => isTerminal(m) && !this.inFlight.has(m.ID))
      .map((m) => m.ID);
    for (const id of queue) this.inFlight.add(id);
    const worker = async (): Promise<void> => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        this.inFlight.delete(id);
        await this.destroy(id).catch((err: unknown) => this.log.error({ err, alloc: id }, 'gc failed'));
      }
    };
    const workers = Array.from({ length: Math.min(GC_PARALLEL_DESTROYS, queue.length) }, worker);
    this.background = Promise.all([this.background, ...workers]).then(() => undefined);
  }

  /** Resolves when background collection started so far has finished (tests, shutdown). */
  idle(): Promise<void> {
    return this.background;
  }

  private async destroy(id: AllocId): Promise<void> {
    this.inFlight.add(id);
    try {
      await fs.rm(allocDirOf(this.dataDir, id), { recursive: true, force: true });
      await this.manifests.remove(id);
      this.log.info({ alloc: id }, 'allocation garbage-collected');
    } finally {
      this.inFlight.delete(id);
    }
  }
}

import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { dict, dictOf, dictSchema, type Dict } from '../../wire';
import type { NodeMetaResponse } from '../../wire';
import { removeStrayTemps, writeFileAtomic } from '../node/atomic-write';
import { clientDir } from '../node/identity';

const MetaFile = z.object({ Dynamic: dictSchema(z, z.string().nullable()) });

type Dynamic = Dict<string | null>;

/**
 * Node metadata, as Nomad keeps it: Static from config, Dynamic from POSTs persisted in
 * `client/meta.json`, Meta = Static overlaid with Dynamic (a `null` removes the key). Every
 * map is prototype-less (src/wire/dict.ts): keys come from callers, and `__proto__` is a valid
 * metadata key.
 */
export class MetaStore {
  private dynamic: Dynamic = dict();
  private readonly listeners = new Set<() => void>();
  /** Applies run one at a time so each persisted file reflects a complete update. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly file: string,
    readonly staticMeta: Readonly<Record<string, string>>,
  ) {}

  /** Load persisted Dynamic meta; tombstones for keys no longer static are dropped (and persisted). */
  static async open(dataDir: string, staticMeta: Record<string, string>): Promise<MetaStore> {
    const dir = clientDir(dataDir);
    await fs.mkdir(dir, { recursive: true });
    await removeStrayTemps(dir);
    const store = new MetaStore(path.join(dir, 'meta.json'), dictOf(staticMeta));
    let text: string | undefined;
    try {
      text = await fs.readFile(store.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text === undefined) return store;
    let parsed: z.infer<typeof MetaFile>;
    try {
      parsed = MetaFile.parse(JSON.parse(text));
    } catch (err) {
      throw new Error(`${store.file} is not valid dynamic metadata: ${(err as Error).message}`);
    }
    let cleaned = false;
    for (const [k, v] of Object.entries(parsed.Dynamic)) {
      if (v === null && !Object.hasOwn(staticMeta, k)) {
        cleaned = true;
        continue;
      }
      store.dynamic[k] = v;
    }
    if (cleaned) await store.persist(store.dynamic);
    return store;
  }

  /** Merged view as the scheduler would see it. */
  merged(): Dict<string> {
    const meta = dictOf(this.staticMeta);
    for (const [k, v] of Object.entries(this.dynamic)) {
      if (v === null) delete meta[k];
      else meta[k] = v;
    }
    return meta;
  }

  snapshot(): NodeMetaResponse {
    return { Dynamic: dictOf(this.dynamic), Meta: this.merged(), Static: dictOf(this.staticMeta) };
  }

  /**
   * Apply a validated update: strings set, `null` removes; a null is kept as a tombstone only
   * for static keys (Nomad ≥ 1.7). Persisted before the in-memory state changes, so a storage
   * error fails the request and changes nothing.
   */
  apply(update: Record<string, string | null>): Promise<NodeMetaResponse> {
    const run = async (): Promise<NodeMetaResponse> => {
      const next = dictOf(this.dynamic);
      for (const [k, v] of Object.entries(update)) {
        if (v !== null) next[k] = v;
        // Own keys only, whatever map the caller built.
        else if (Object.hasOwn(this.staticMeta, k)) next[k] = null;
        else delete next[k];
      }
      await this.persist(next);
      this.dynamic = next;
      for (const l of this.listeners) l();
      return this.snapshot();
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Called after every successful change (registration pushes the new Meta). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private persist(dynamic: Dynamic): Promise<void> {
    return writeFileAtomic(this.file, `${JSON.stringify({ Dynamic: dynamic }, null, 2)}\n`);
  }
}

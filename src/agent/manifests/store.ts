import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { DEFAULTS } from '../../config/defaults';
import type { AllocId, AllocManifest } from '../../wire';
import { isTempName, removeStrayTemps, writeFileAtomic } from '../node/atomic-write';
import { clientDir } from '../node/identity';
import { parseManifest } from './schema';

export type ManifestEvent = { kind: 'upsert'; manifest: AllocManifest } | { kind: 'remove'; id: AllocId };

export const manifestsDir = (dataDir: string): string => path.join(clientDir(dataDir), 'allocs');

/**
 * The allocations this node hosts, mirrored from `client/allocs/*.json`: new or
 * changed manifests written by any program are adopted within 1 s (fs.watch for speed, a
 * periodic scan because inotify can miss events), removed ones are forgotten. A bad manifest
 * is logged once and skipped; it never crashes the agent.
 */
export class ManifestStore {
  private readonly byId = new Map<AllocId, { manifest: AllocManifest; text: string }>();
  private readonly listeners = new Set<(e: ManifestEvent) => void>();
  /** Content of files already reported as bad, so a bad file is logged once, not every scan. */
  private readonly badSeen = new Map<string, string>();
  private watcher: fs.FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private rescan = false;
  /**
   * When this process last wrote or removed each manifest (performance.now()). A scan that read
   * a file before such a change must not undo it with its stale view.
   */
  private readonly localChangeAt = new Map<string, number>();

  constructor(
    readonly dir: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true });
    await removeStrayTemps(this.dir);
    await this.scan();
    try {
      this.watcher = fs.watch(this.dir, () => void this.scan());
      this.watcher.on('error', (err) =>
        this.log.warn({ err }, 'manifest watch failed; periodic scan continues'),
      );
    } catch (err) {
      this.log.warn({ err }, 'cannot watch manifest directory; periodic scan only');
    }
    this.timer = setInterval(() => void this.scan(), DEFAULTS.manifestScanMs);
    this.timer.unref();
  }

  stop(): void {
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
  }

  get(id: string): AllocManifest | undefined {
    return this.byId.get(id as AllocId)?.manifest;
  }

  list(): AllocManifest[] {
    return [...this.byId.values()].map((e) => e.manifest);
  }

  onEvent(listener: (e: ManifestEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Write (atomically) and adopt at once: the writer does not wait for the next scan. */
  async write(manifest: AllocManifest): Promise<void> {
    const text = `${JSON.stringify(manifest, null, 2)}\n`;
    this.localChangeAt.set(manifest.ID, performance.now());
    await writeFileAtomic(this.fileOf(manifest.ID), text);
    this.localChangeAt.set(manifest.ID, performance.now());
    this.adopt(manifest, text);
  }

  /** Delete the manifest and forget the allocation. */
  async remove(id: AllocId): Promise<void> {
    this.localChangeAt.set(id, performance.now());
    await fsp.rm(this.fileOf(id), { force: true });
    this.localChangeAt.set(id, performance.now());
    if (this.byId.delete(id)) this.emit({ kind: 'remove', id });
  }

  /** One scan at a time; a request during a scan schedules exactly one more. */
  scan(): Promise<void> {
    if (this.scanning) {
      this.rescan = true;
      return this.scanning;
    }
    this.scanning = this.scanOnce()
      .catch((err: unknown) => this.log.warn({ err }, 'manifest scan failed'))
      .finally(() => {
        this.scanning = undefined;
        if (this.rescan) {
          this.rescan = false;
          void this.scan();
        }
      });
    return this.scanning;
  }

  private fileOf(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  private async scanOnce(): Promise<void> {
    const scanStart = performance.now();
    const changedSince = (id: string, t: number) => (this.localChangeAt.get(id) ?? -1) >= t;
    const names = (await fsp.readdir(this.dir).catch(() => [] as string[])).filter(
      (n) => n.endsWith('.json') && !isTempName(n),
    );
    const present = new Set<string>();
    for (const name of names) {
      const file = path.join(this.dir, name);
      let text: string;
      const readAt = performance.now();
      try {
        text = await fsp.readFile(file, 'utf8');
      } catch {
        continue; // removed between readdir and read
      }
      const idFromName = name.slice(0, -'.json'.length).toLowerCase();
      present.add(idFromName);
      if (changedSince(idFromName, readAt)) continue;
      if (this.byId.get(idFromName as AllocId)?.text === text) continue;
      try {
        const manifest = parseManifest(text);
        if (manifest.ID !== idFromName) throw new Error(`ID ${manifest.ID} does not match the file name`);
        this.badSeen.delete(name);
        this.adopt(manifest, text);
      } catch (err) {
        present.delete(idFromName);
        if (this.badSeen.get(name) !== text) {
          this.badSeen.set(name, text);
          this.log.warn({ file, err: (err as Error).message }, 'skipping invalid allocation manifest');
        }
      }
    }
    for (const id of [...this.byId.keys()]) {
      if (!present.has(id) && !changedSince(id, scanStart)) {
        this.byId.delete(id);
        this.emit({ kind: 'remove', id });
      }
    }
  }

  private adopt(manifest: AllocManifest, text: string): void {
    const prev = this.byId.get(manifest.ID);
    if (prev?.text === text) return;
    this.byId.set(manifest.ID, { manifest, text });
    this.emit({ kind: 'upsert', manifest });
  }

  private emit(e: ManifestEvent): void {
    for (const l of this.listeners) l(e);
  }
}

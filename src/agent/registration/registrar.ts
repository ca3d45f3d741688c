import type { Logger } from 'pino';
import { DEFAULTS } from '../../config/defaults';
import type { AllocId, NomadNodeResources } from '../../wire';
import type { NodeIdentity } from '../deps';
import type { ManifestStore } from '../manifests/store';
import type { MetaStore } from '../meta/store';
import type { NodeLink } from './link';
import { nodeRecord } from './records';

export interface RegistrarOptions {
  link: NodeLink;
  node: NodeIdentity;
  meta: MetaStore;
  manifests: ManifestStore;
  heartbeatIntervalMs: number;
  log: Logger;
  /** The node's capacity, measured once at start (stats/node-resources.ts). */
  resources?: NomadNodeResources;
}

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10_000;
/** Changes are pushed this soon after they happen: a meta change must be visible at the gateways within 1 s. */
const PUSH_DELAY_MS = 50;
/** A full re-put every this many heartbeats heals state a registry lost without telling us. */
const FULL_SYNC_EVERY = 12;

/**
 * Keeps the registry in step with this node, through a NodeLink (a gateway): node record on
 * start and on meta change, a heartbeat every interval with TTL = 3 intervals, an alloc record
 * per manifest. The gateways being unreachable never affects local serving: failures switch to
 * "re-put everything" and retry with exponential backoff until one answers again. An allocation
 * the registry refuses (another node holds its ID) is logged and not retried until it changes.
 */
export class Registrar {
  private needFull = true;
  private nodeDirty = false;
  private readonly dirtyAllocs = new Set<AllocId>();
  private flushing: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private hbTimer: NodeJS.Timeout | undefined;
  private backoffMs = 0;
  private beats = 0;
  private stopped = false;
  private readonly unsubscribe: Array<() => void> = [];
  private readonly refused = new Set<AllocId>();

  constructor(private readonly o: RegistrarOptions) {}

  private get ttlMs(): number {
    return this.o.heartbeatIntervalMs * DEFAULTS.heartbeatTtlFactor;
  }

  /** Starts syncing in the background; resolves after the first attempt (success or not). */
  async start(): Promise<void> {
    this.unsubscribe.push(
      this.o.meta.onChange(() => this.markNode()),
      this.o.manifests.onEvent((e) => this.markAlloc(e.kind === 'upsert' ? e.manifest.ID : e.id)),
    );
    this.hbTimer = setInterval(() => void this.heartbeat(), this.o.heartbeatIntervalMs);
    this.hbTimer.unref();
    await this.flush();
  }

  /** Stop syncing and, best effort, let the node's heartbeat lapse now rather than by TTL. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const u of this.unsubscribe) u();
    if (this.hbTimer) clearInterval(this.hbTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    await this.flushing;
    await this.o.link.heartbeat(1).catch(() => undefined);
  }

  private markNode(): void {
    this.nodeDirty = true;
    this.schedule(PUSH_DELAY_MS);
  }

  private markAlloc(id: AllocId): void {
    this.dirtyAllocs.add(id);
    this.schedule(PUSH_DELAY_MS);
  }

  private markFull(): void {
    this.needFull = true;
    this.schedule(PUSH_DELAY_MS);
  }

  private schedule(ms: number): void {
    if (this.stopped || this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, ms);
    this.flushTimer.unref();
  }

  private async heartbeat(): Promise<void> {
    if (this.needFull || this.backoffMs > 0) return; // the retry loop re-registers
    this.beats += 1;
    if (this.beats % FULL_SYNC_EVERY === 0) return this.markFull();
    try {
      // No record (e.g. Redis restarted empty): the registry keeps nothing for us, we re-assert.
      if (!(await this.o.link.heartbeat(this.ttlMs))) {
        this.o.log.info(
          'the registry has no record of this node (it lapsed, or Redis lost its state): registering again',
        );
        this.markFull();
      }
    } catch (err) {
      this.failed(err);
    }
  }

  private flush(): Promise<void> {
    if (this.flushing) {
      this.schedule(PUSH_DELAY_MS);
      return this.flushing;
    }
    this.flushing = this.flushOnce().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const { link, node, manifests } = this.o;
    try {
      if (this.needFull) {
        this.needFull = false;
        this.nodeDirty = false;
        this.dirtyAllocs.clear();
        await link.register(nodeRecord(node, this.o.meta.merged(), this.o.resources), this.ttlMs);
        this.noteRefused(await link.putAllocs(manifests.list(), true));
      } else {
        if (this.nodeDirty) {
          this.nodeDirty = false;
          await link.register(nodeRecord(node, this.o.meta.merged(), this.o.resources), this.ttlMs);
        }
        for (const id of [...this.dirtyAllocs]) {
          this.dirtyAllocs.delete(id);
          const m = manifests.get(id);
          if (m) this.noteRefused(await link.putAllocs([m], false));
          else await link.removeAlloc(id);
        }
      }
      if (this.backoffMs > 0) this.o.log.info('registry reachable again; node and allocations re-registered');
      this.backoffMs = 0;
    } catch (err) {
      this.failed(err);
    }
  }

  private noteRefused(ids: readonly AllocId[]): void {
    for (const id of ids) {
      if (this.refused.has(id)) continue;
      this.refused.add(id);
      this.o.log.warn(
        { alloc: id },
        'allocation refused by the registry: another node holds this ID; it is served locally only',
      );
    }
  }

  private failed(err: unknown): void {
    if (this.backoffMs === 0) this.o.log.warn({ err }, 'registry unavailable; serving locally and retrying');
    this.needFull = true;
    this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, this.backoffMs * 2));
    this.schedule(this.backoffMs);
  }
}

import type { Logger } from 'pino';
import type { AllocationSpec } from '../../config/agent';
import { DEFAULTS } from '../../config/defaults';
import type { AllocId, AllocManifest, ClientStatus } from '../../wire';
import { allocDirOf, isTerminal } from '../context';
import { nowNs } from '../manifests/schema';
import type { ManifestStore } from '../manifests/store';
import type { TaskCgroups } from '../cgroups/task-cgroups';
import type { RunningTask, TaskSource } from '../stats/task-sampler';
import { specKey, StaticAllocIds } from './ids';
import { reapOrphanTasks } from './pidfiles';
import { createAllocLayout } from './layout';
import { TaskProcess, type TaskExit } from './task';

interface Running {
  tasks: Map<string, TaskProcess>;
  stopping: boolean;
  done: Promise<void>;
}

/**
 * Runs the configured allocations like static pods: stable alloc ids, Nomad's
 * directory layout, one child per task, manifest pending → running → complete/failed. No restart
 * policy: a task that exits stays exited; the allocation ends when all its tasks have.
 */
export class TaskRunner implements TaskSource {
  private readonly running = new Map<AllocId, Running>();
  private ids: StaticAllocIds | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly manifests: ManifestStore,
    private readonly log: Logger,
    private readonly cgroups: TaskCgroups,
    private readonly killTimeoutMs: number = DEFAULTS.killTimeoutMs,
  ) {}

  /** Start every configured allocation not stopped by an operator; returns their ids. */
  async start(specs: readonly AllocationSpec[]): Promise<AllocId[]> {
    this.ids ??= await StaticAllocIds.open(this.dataDir);
    const reaped = reapOrphanTasks(this.dataDir);
    if (reaped.length) this.log.warn({ pids: reaped }, 'killed tasks left running by a previous agent');
    const started: AllocId[] = [];
    for (const spec of specs) {
      const { id, stopped } = await this.ids.idFor(specKey(spec));
      if (stopped) {
        this.log.info({ alloc: id, job: spec.job }, 'allocation was stopped by an operator; not starting it');
        continue;
      }
      await this.run(id, spec);
      started.push(id);
    }
    return started;
  }

  /** Every task process alive now (the stats sampler's source). */
  *runningTasks(): Iterable<RunningTask> {
    for (const [allocId, r] of this.running)
      for (const [task, p] of r.tasks) {
        const pid = p.pid;
        if (pid !== undefined) yield { allocId, task, pid, cgroup: p.cgroup };
      }
  }

  /**
   * Stop an allocation (POST /v1/allocation/:id/stop). One this runner does not run (an adopted
   * manifest, or one already finished) is marked complete if it is not terminal yet.
   */
  async stop(id: AllocId): Promise<void> {
    await this.ids?.markStopped(id);
    const r = this.running.get(id);
    if (r) {
      r.stopping = true;
      for (const t of r.tasks.values()) void t.stop(this.killTimeoutMs);
      return;
    }
    const m = this.manifests.get(id);
    if (m && !isTerminal(m)) await this.setStatus(m, 'complete');
  }

  /** Agent shutdown: stop every task gracefully and wait for the manifests to be final. */
  async stopAll(): Promise<void> {
    const all = [...this.running.values()];
    for (const r of all) {
      r.stopping = true;
      for (const t of r.tasks.values()) void t.stop(this.killTimeoutMs);
    }
    await Promise.all(all.map((r) => r.done));
  }

  private async run(id: AllocId, spec: AllocationSpec): Promise<void> {
    const group = spec.group ?? spec.job;
    const t = nowNs();
    const prev = this.manifests.get(id);
    const manifest: AllocManifest = {
      ID: id,
      Namespace: spec.namespace,
      JobID: spec.job,
      TaskGroup: group,
      Name: `${spec.job}.${group}[${spec.index}]`,
      Tasks: spec.tasks.map((x) => x.name),
      ClientStatus: 'pending',
      CreateTime: prev?.CreateTime ?? t,
      ModifyTime: t,
    };
    await this.manifests.write(manifest);
    const allocDir = allocDirOf(this.dataDir, id);
    await createAllocLayout(allocDir, manifest.Tasks);
    const env = {
      dataDir: this.dataDir,
      allocId: id,
      allocDir,
      job: spec.job,
      group,
      namespace: spec.namespace,
      cgroups: this.cgroups,
    };
    const tasks = new Map(
      spec.tasks.map((ts) => [ts.name, new TaskProcess(ts, env, this.log.child({ alloc: id }))]),
    );
    // `done` exists from the moment the entry does: a shutdown that arrives while the 'running'
    // write is still syncing must wait for the final status too (it used to await a resolved
    // placeholder and exit, leaving the manifest 'running'). The final write comes after the
    // 'running' one, never before it.
    const started = this.setStatus(manifest, 'running');
    const entry: Running = { tasks, stopping: false, done: Promise.resolve() };
    entry.done = Promise.all([started, ...[...tasks.values()].map((p) => p.exited)])
      .then(async ([written, ...exits]) => {
        this.running.delete(id);
        const status = this.finalStatus(exits, entry.stopping);
        this.log.info({ alloc: id, status, exits }, 'allocation finished');
        const cur = this.manifests.get(id) ?? written;
        await this.setStatus(cur, status);
      })
      .catch((err: unknown) => this.log.error({ err, alloc: id }, 'cannot write manifest'));
    this.running.set(id, entry);
    await started;
  }

  /** Stopped → complete (as Nomad reports a stopped alloc); otherwise complete only if all exited 0. */
  private finalStatus(exits: TaskExit[], stopping: boolean): ClientStatus {
    if (stopping) return 'complete';
    return exits.every((e) => e.code === 0) ? 'complete' : 'failed';
  }

  private async setStatus(m: AllocManifest, status: ClientStatus): Promise<AllocManifest> {
    const next = { ...m, ClientStatus: status, ModifyTime: nowNs() };
    await this.manifests.write(next);
    return next;
  }
}

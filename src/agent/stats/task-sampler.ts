import os from 'node:os';
import type { Logger } from 'pino';
import type { ResourceUsage, TaskResourceUsage } from '../../wire';
import type { CgroupCpu, TaskCgroup } from '../cgroups/task-cgroups';
import { totalComputeMhz } from './cpu';
import { PidTree } from './pid-tree';
import { sampleProcess, type ProcSample } from './proc-read';
import { addUsage, zeroUsage } from './usage';

/** Nomad collects task stats every second; a request answers the latest collection. */
export const TASK_STATS_INTERVAL_MS = 1000;

/** Measured list of CPU figures from /proc or a cgroup's cpu.stat: only what they really give. */
const CPU_MEASURED = ['System Mode', 'User Mode', 'Percent'];

/** A task process the runner started, as the sampler needs it. */
export interface RunningTask {
  allocId: string;
  task: string;
  pid: number;
  /** The task's own cgroup, when the host let the agent make one. */
  cgroup: TaskCgroup | undefined;
}

/** The task runner, as the sampler sees it. */
export interface TaskSource {
  runningTasks(): Iterable<RunningTask>;
}

interface Timed<T> {
  value: T;
  atNs: number;
}

interface TaskState {
  root: number;
  bornNs: number;
  cgroup: TaskCgroup | undefined;
  tree: PidTree | undefined;
  prevPids: Map<number, Timed<ProcSample>>;
  prevCpu: Timed<CgroupCpu> | undefined;
  latest: TaskResourceUsage | undefined;
  pending: Promise<TaskResourceUsage> | undefined;
}

/** A task moves itself into its group as it starts; one not there after this was refused. */
const MOVE_GRACE_NS = 500e6;

/** Processes read between two yields to the event loop, so a task with many never stalls requests. */
const BATCH = 64;

const keyOf = (allocId: string, task: string): string => `${allocId}/${task}`;
const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));
const monoNs = (): number => performance.now() * 1e6;

/**
 * Samples every running task's processes in the background, once per interval, and keeps the
 * latest usage per task; requests read that and never touch /proc. A task's processes come
 * from its cgroup (`cgroup.procs`, and `cpu.stat` for CPU, which also counts children that
 * exited) or, where there is none, from its process tree followed incrementally (pid-tree.ts).
 * Either way the cost grows with the tasks' own processes, never with the host's.
 */
export class TaskStatsSampler {
  private readonly states = new Map<string, TaskState>();
  private readonly mhzPerCore = totalComputeMhz() / Math.max(1, os.cpus().length);
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(
    private readonly tasks: TaskSource,
    private readonly log: Logger,
    private readonly intervalMs = TASK_STATS_INTERVAL_MS,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.ticking ??= this.tick()
        .catch((err: unknown) => this.log.warn({ err }, 'task stats collection failed'))
        .finally(() => {
          this.ticking = undefined;
        });
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * The latest usage of a running task; undefined when the agent runs no process for it. A task
   * started since the last collection is sampled once now (its own processes only).
   */
  async latest(allocId: string, task: string): Promise<TaskResourceUsage | undefined> {
    const state = this.states.get(keyOf(allocId, task));
    if (state?.latest) return state.latest;
    const running = [...this.tasks.runningTasks()].find((t) => t.allocId === allocId && t.task === task);
    if (!running) return undefined;
    return this.sample(this.stateOf(running));
  }

  /** One collection of every running task; forgets tasks that stopped. */
  async tick(): Promise<void> {
    const seen = new Set<string>();
    for (const t of this.tasks.runningTasks()) {
      seen.add(keyOf(t.allocId, t.task));
      await this.sample(this.stateOf(t));
    }
    for (const k of this.states.keys()) if (!seen.has(k)) this.states.delete(k);
  }

  private stateOf(t: RunningTask): TaskState {
    const key = keyOf(t.allocId, t.task);
    let s = this.states.get(key);
    if (!s || s.root !== t.pid) {
      s = {
        root: t.pid,
        bornNs: monoNs(),
        cgroup: t.cgroup,
        tree: t.cgroup ? undefined : new PidTree(t.pid),
        prevPids: new Map(),
        prevCpu: undefined,
        latest: undefined,
        pending: undefined,
      };
      this.states.set(key, s);
    }
    return s;
  }

  private sample(s: TaskState): Promise<TaskResourceUsage> {
    s.pending ??= this.collect(s).finally(() => {
      s.pending = undefined;
    });
    return s.pending;
  }

  private async collect(s: TaskState): Promise<TaskResourceUsage> {
    let pids = s.cgroup ? s.cgroup.pids() : s.tree!.refresh();
    const atNs = monoNs();
    if (s.cgroup && !pids.includes(s.root) && atNs - s.bornNs > MOVE_GRACE_NS && sampleProcess(s.root)) {
      // The task's move into its group was refused: follow its process tree from now on.
      this.log.warn(
        { group: s.cgroup.dir, pid: s.root },
        'task is not in its cgroup; following its process tree',
      );
      s.cgroup = undefined;
      s.tree = new PidTree(s.root);
      pids = s.tree.refresh();
    }
    const perPid: Record<string, ResourceUsage> = {};
    const next = new Map<number, Timed<ProcSample>>();
    let memory = zeroUsage();
    let cpuSum = zeroUsage();
    for (let i = 0; i < pids.length; i++) {
      if (i > 0 && i % BATCH === 0) await yieldToLoop();
      const pid = pids[i]!;
      const cur = sampleProcess(pid);
      if (s.tree && !s.tree.observe(pid, cur?.starttime)) continue;
      if (!cur) continue;
      const prev = s.prevPids.get(pid);
      const same = prev && prev.value.starttime === cur.starttime ? prev : undefined;
      const u = this.pidUsage(cur, same, atNs);
      next.set(pid, { value: cur, atNs });
      perPid[String(pid)] = u;
      memory = addUsage(memory, { ...zeroUsage(), MemoryStats: u.MemoryStats });
      cpuSum = addUsage(cpuSum, { ...zeroUsage(), CpuStats: u.CpuStats });
    }
    s.prevPids = next;
    const cpu = s.cgroup ? this.cgroupCpu(s, atNs) : cpuSum.CpuStats;
    const usage: TaskResourceUsage = {
      Pids: perPid,
      ResourceUsage: { CpuStats: cpu, DeviceStats: [], MemoryStats: memory.MemoryStats },
      Timestamp: Date.now() * 1e6,
    };
    s.latest = usage;
    return usage;
  }

  private percents(dUserNs: number, dSystemNs: number, wallNs: number) {
    const pct = (d: number): number => (wallNs > 0 && d >= 0 ? (d / wallNs) * 100 : 0);
    const percent = pct(dUserNs + dSystemNs);
    return {
      Measured: [...CPU_MEASURED],
      Percent: percent,
      SystemMode: pct(dSystemNs),
      ThrottledPeriods: 0,
      ThrottledTime: 0,
      TotalTicks: (percent / 100) * this.mhzPerCore,
      UserMode: pct(dUserNs),
    };
  }

  /** Percentages over the interval since this process's previous sample (0 on its first). */
  private pidUsage(cur: ProcSample, prev: Timed<ProcSample> | undefined, atNs: number): ResourceUsage {
    const u = zeroUsage();
    if (prev) {
      u.CpuStats = this.percents(
        cur.userNs - prev.value.userNs,
        cur.systemNs - prev.value.systemNs,
        atNs - prev.atNs,
      );
    } else {
      u.CpuStats = this.percents(0, 0, 0);
    }
    u.MemoryStats.RSS = cur.rssBytes;
    u.MemoryStats.Measured = ['RSS'];
    if (cur.swapBytes !== undefined) {
      u.MemoryStats.Swap = cur.swapBytes;
      u.MemoryStats.Measured.push('Swap');
    }
    return u;
  }

  /** The whole group's CPU over the interval, processes that exited in it included. */
  private cgroupCpu(s: TaskState, atNs: number): ResourceUsage['CpuStats'] {
    const cur = s.cgroup!.cpu();
    if (!cur) return this.percents(0, 0, 0);
    const prev = s.prevCpu;
    s.prevCpu = { value: cur, atNs };
    if (!prev) return this.percents(0, 0, 0);
    return this.percents(
      (cur.userUs - prev.value.userUs) * 1000,
      (cur.systemUs - prev.value.systemUs) * 1000,
      atNs - prev.atNs,
    );
  }
}

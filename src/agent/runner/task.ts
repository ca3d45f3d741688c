import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Logger } from 'pino';
import type { TaskSpec } from '../../config/agent';
import { TaskCgroups, type TaskCgroup } from '../cgroups/task-cgroups';
import { forgetTask, recordTask } from './pidfiles';
import { LogRotator } from './rotator';

export interface TaskEnv {
  /** The agent's data dir, where the task's pid file lives while it runs (pidfiles.ts). */
  dataDir: string;
  allocId: string;
  allocDir: string;
  job: string;
  group: string;
  namespace: string;
  /** Where each task gets its own cgroup, if the host allows (stats read it). */
  cgroups: TaskCgroups;
}

export interface TaskExit {
  /** Exit code, or null when killed by a signal (or when it never started). */
  code: number | null;
  signal: NodeJS.Signals | null;
  /**
   * The task could not be started at all (e.g. command not found). Where the task runs in its
   * own cgroup a shell starts it, and such a failure is exit code 127 with the shell's message
   * in the task's stderr log instead.
   */
  startError?: string;
}

/**
 * One task: a child process in its own process group (so stop reaches its children too) and,
 * where the host allows, its own cgroup (so stats see every process it forks), whose
 * stdout/stderr go through a LogRotator into `alloc/logs/`.
 */
export class TaskProcess {
  readonly exited: Promise<TaskExit>;
  /** The task's own cgroup, or undefined where the host allows none. */
  readonly cgroup: TaskCgroup | undefined;
  private readonly child: ChildProcess;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly spec: TaskSpec,
    env: TaskEnv,
    private readonly log: Logger,
  ) {
    const taskDir = path.join(env.allocDir, spec.name);
    const logsDir = path.join(env.allocDir, 'alloc', 'logs');
    const rot = (stream: 'stdout' | 'stderr') =>
      new LogRotator({
        dir: logsDir,
        base: `${spec.name}.${stream}`,
        maxFiles: spec.logs.max_files,
        maxFileBytes: Math.max(1, Math.floor(spec.logs.max_file_size_mb * 1024 * 1024)),
      });
    const out = rot('stdout');
    const err = rot('stderr');
    this.cgroup = env.cgroups.prepare(`${env.allocId}.${spec.name}`);
    const [command, args] = this.cgroup
      ? TaskCgroups.wrap(this.cgroup, spec.command, spec.args)
      : [spec.command, spec.args];
    this.child = spawn(command, args, {
      cwd: taskDir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
        HOME: process.env['HOME'] ?? '/',
        NOMAD_ALLOC_DIR: path.join(env.allocDir, 'alloc'),
        NOMAD_TASK_DIR: path.join(taskDir, 'local'),
        NOMAD_SECRETS_DIR: path.join(taskDir, 'secrets'),
        NOMAD_ALLOC_ID: env.allocId,
        NOMAD_TASK_NAME: spec.name,
        NOMAD_JOB_NAME: env.job,
        NOMAD_GROUP_NAME: env.group,
        NOMAD_NAMESPACE: env.namespace,
        ...spec.env,
      },
    });
    const onChunk = (r: LogRotator) => (chunk: Buffer) => {
      try {
        r.write(chunk);
      } catch (e) {
        this.log.error({ err: e, task: spec.name }, 'writing task log failed');
      }
    };
    const pidFile =
      this.child.pid !== undefined
        ? recordTask(env.dataDir, `${env.allocId}.${spec.name}`, this.child.pid)
        : undefined;
    this.child.stdout!.on('data', onChunk(out));
    this.child.stderr!.on('data', onChunk(err));
    this.exited = new Promise<TaskExit>((resolve) => {
      this.child.once('error', (e) => {
        out.close();
        err.close();
        resolve({ code: null, signal: null, startError: e.message });
      });
      // 'close' (not 'exit'): every byte of stdout/stderr has been written to the log by then.
      this.child.once('close', (code, signal) => {
        if (this.killTimer) clearTimeout(this.killTimer);
        if (pidFile) forgetTask(pidFile);
        this.cgroup?.remove();
        out.close();
        err.close();
        resolve({ code, signal });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** SIGTERM to the process group, SIGKILL after the grace period; resolves when it has exited. */
  stop(graceMs: number): Promise<TaskExit> {
    const pid = this.child.pid;
    if (pid !== undefined && this.pid !== undefined) {
      this.signalGroup(pid, 'SIGTERM');
      this.killTimer = setTimeout(() => this.signalGroup(pid, 'SIGKILL'), graceMs);
    }
    return this.exited;
  }

  private signalGroup(pid: number, sig: NodeJS.Signals): void {
    try {
      process.kill(-pid, sig);
    } catch {
      // Already gone.
    }
  }
}

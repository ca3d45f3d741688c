import type { Registry } from '../../registry/registry';
import { TERMINAL_STATUSES, type AllocId, type AllocRecord } from '../../wire';
import type { RetryPolicy } from '../../wire/follow';
import type { AgentLogsPort } from './agent-port';
import type { JobStreamOutput } from './output';
import { sourceKey } from '../../wire/job-frames';
import { DEFAULT_PREFIX, DEFAULT_PREFIX_MULTI_TASK, type JobLogsParams } from './params';
import { Source } from './source';

export interface JobStreamOptions {
  readonly registry: Registry;
  readonly port: AgentLogsPort;
  readonly params: JobLogsParams;
  readonly output: JobStreamOutput;
  /** The job's allocations when the request came in (at least one). */
  readonly initial: readonly AllocRecord[];
  /** Following: how long to wait for a new allocation once every source has ended. */
  readonly graceMs: number;
  readonly retry: RetryPolicy;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
}

const isTerminal = (a: AllocRecord): boolean => TERMINAL_STATUSES.includes(a.ClientStatus);

/** `web.web[3]` → `3`: the allocation's index in its group, as Nomad names allocations. */
const allocIndex = (name: string): string => /\[(\d+)\]$/.exec(name)?.[1] ?? '0';

export const renderPrefix = (template: string, a: AllocRecord, task: string): string =>
  template.replace(/\{(group|index|alloc|alloc_id|task|node|job)\}/g, (_m, k: string) => {
    switch (k) {
      case 'group':
        return a.TaskGroup;
      case 'index':
        return allocIndex(a.Name);
      case 'alloc':
        return a.ID.slice(0, 8);
      case 'alloc_id':
        return a.ID;
      case 'task':
        return task;
      case 'node':
        return a.NodeID.slice(0, 8);
      default:
        return a.JobID;
    }
  });

/**
 * The job-wide stream: one Source per task of each allocation of the job, all writing into one
 * output. Following, allocations that appear later (registry pub/sub) join, terminal ones end
 * their part once drained, and the stream ends when every part has ended and no new allocation
 * appeared within `graceMs`. Without follow, it ends when each source has sent what it holds.
 */
export const runJobStream = async (o: JobStreamOptions): Promise<void> => {
  const { params, output } = o;
  const sources = new Map<string, Source>();
  const ended = new Set<string>();
  /** Allocations of the job not started yet: their sources join when they run. */
  const pending = new Set<string>();
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let grace: NodeJS.Timeout | undefined;

  const tasksOf = (a: AllocRecord): string[] =>
    params.task ? (a.Tasks.includes(params.task) ? [params.task] : []) : a.Tasks;

  const idleCheck = (): void => {
    if (!params.follow) return sources.size === 0 ? finish() : undefined;
    if (sources.size > 0 || pending.size > 0) return;
    grace ??= setTimeout(finish, o.graceMs);
  };

  const consider = (a: AllocRecord): void => {
    if (a.JobID !== params.jobId || a.Namespace !== params.namespace) return;
    const tasks = tasksOf(a);
    if (a.ClientStatus === 'pending' && tasks.length > 0) pending.add(a.ID);
    else pending.delete(a.ID);
    for (const task of tasks) {
      const key = sourceKey(a.ID, task);
      const running = sources.get(key);
      if (running) {
        if (isTerminal(a)) running.markTerminal();
        continue;
      }
      if (ended.has(key) || a.ClientStatus === 'pending') continue;
      const template =
        params.prefix === DEFAULT_PREFIX && tasks.length > 1 ? DEFAULT_PREFIX_MULTI_TASK : params.prefix;
      const from = params.resume.get(key);
      const writer = output.source(
        {
          allocId: a.ID,
          nodeId: a.NodeID,
          task,
          prefix: template === undefined ? '' : renderPrefix(template, a, task),
          framedPrefix: params.prefixGiven,
        },
        { skipPartialFirstLine: params.origin === 'end' && params.offset > 0 && !from },
      );
      // A terminal allocation's logs are final: read them once instead of following.
      const source = new Source({
        allocId: a.ID,
        task,
        params: { ...params, follow: params.follow && !isTerminal(a) },
        port: o.port,
        writer,
        ...(from ? { from } : {}),
        retry: o.retry,
      });
      sources.set(key, source);
      if (grace) clearTimeout(grace);
      grace = undefined;
      void source.done.then(() => {
        sources.delete(key);
        ended.add(key);
        idleCheck();
      });
    }
  };

  const removed = (id: string): void => {
    pending.delete(id);
    for (const [key, s] of sources) if (key.startsWith(`${id}:`)) s.stop();
  };

  const refresh = async (id?: AllocId): Promise<void> => {
    try {
      if (id) {
        const a = await o.registry.getAlloc(id);
        if (a) consider(a);
        else removed(id);
        idleCheck();
        return;
      }
      const all = await o.registry.listAllocs({ namespace: params.namespace });
      for (const a of all) consider(a);
    } catch {
      // Registry unavailable: the sources keep flowing; the next change or resync catches up.
    }
  };

  const off = params.follow
    ? o.registry.onChange((c) => {
        if (c.kind === 'alloc') void refresh(c.id);
        else if (c.kind === 'resync') void refresh();
      })
    : undefined;
  const onAbort = () => finish();
  o.signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (const a of o.initial) consider(a);
    idleCheck();
    await finished;
  } finally {
    off?.();
    o.signal.removeEventListener('abort', onAbort);
    if (grace) clearTimeout(grace);
    for (const s of sources.values()) s.stop();
    await Promise.all([...sources.values()].map((s) => s.done));
  }
};

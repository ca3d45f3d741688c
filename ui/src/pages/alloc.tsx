import { useEffect, useState } from 'preact/hooks';
import { dict } from '../../../src/wire/dict';
import { ROUTES, routePath } from '../../../src/wire/routes';
import { call, enc } from '../api/http';
import { readJob, routeNeed } from '../api/needs';
import { can, session } from '../api/session';
import type { AllocResourceUsage, AllocStub } from '../api/types';
import { useWatch } from '../api/watch';
import { Chart, pushSample } from '../components/chart';
import { ErrorPanel } from '../components/error-panel';
import { Loading, Status } from '../components/status';
import { formatBytes, formatPercent, fromNanos } from '../lib/format';
import { useStore } from '../lib/store';
import { Link, navigate } from '../router';

type TaskSamples = Record<string, { cpu: number[]; mem: number[] }>;

/** CPU and memory of each task, sampled every second while the allocation runs. */
const TaskCharts = ({ alloc }: { alloc: AllocStub }) => {
  const stats = useWatch<AllocResourceUsage>(routePath('alloc.stats', alloc.ID), {
    intervalMs: 1000,
    need: routeNeed('alloc.stats', alloc.Namespace),
  });
  // Keyed by task name, which any manifest may choose (`__proto__` too): prototype-less maps.
  const [samples, setSamples] = useState<TaskSamples>(dict);
  useEffect(() => {
    const d = stats.data;
    if (!d) return;
    setSamples((prev) => {
      const next: TaskSamples = dict();
      for (const [task, u] of Object.entries(d.Tasks)) {
        const p = prev[task] ?? { cpu: [], mem: [] };
        next[task] = {
          cpu: pushSample(p.cpu, u.ResourceUsage.CpuStats.Percent),
          mem: pushSample(p.mem, u.ResourceUsage.MemoryStats.RSS),
        };
      }
      return next;
    });
  }, [stats.data]);
  if (stats.error !== undefined && !stats.data)
    return <ErrorPanel error={stats.error} what="allocation stats" />;
  if (!stats.data) return <Loading what="resource usage" />;
  return (
    <div class="charts">
      {Object.entries(samples).flatMap(([task, s]) => [
        <Chart
          key={`${task}-cpu`}
          title={`${task}: CPU`}
          series={[{ label: 'cpu', values: s.cpu, color: 'c0' }]}
          format={formatPercent}
        />,
        <Chart
          key={`${task}-mem`}
          title={`${task}: memory (RSS)`}
          series={[{ label: 'rss', values: s.mem, color: 'c1' }]}
          format={formatBytes}
        />,
      ])}
    </div>
  );
};

/** A button that asks once more before it acts. */
const ConfirmButton = ({
  label,
  confirm,
  run,
  danger,
}: {
  label: string;
  confirm: string;
  run: () => Promise<void>;
  danger?: boolean;
}) => {
  const [armed, setArmed] = useState(false);
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      class={danger ? 'danger' : ''}
      disabled={busy}
      onClick={() => {
        if (!armed) {
          setArmed(true);
          setTimeout(() => setArmed(false), 4000);
          return;
        }
        setBusy(true);
        void run().finally(() => {
          setBusy(false);
          setArmed(false);
        });
      }}
    >
      {armed ? confirm : label}
    </button>
  );
};

export const AllocPage = ({ id }: { id: string }) => {
  const sess = useStore(session);
  const alloc = useWatch<AllocStub>(`/v1/allocation/${enc(id)}`, { need: readJob(), intervalMs: 2000 });
  const [actionError, setActionError] = useState<unknown>();
  if (alloc.error !== undefined && !alloc.data)
    return <ErrorPanel error={alloc.error} what="the allocation" />;
  if (!alloc.data) return <Loading what="allocation" />;
  const a = alloc.data;
  const tasks = Object.keys(a.TaskStates).sort();
  const running = a.ClientStatus === 'running' || a.ClientStatus === 'pending';
  const act = (route: 'alloc.stop' | 'alloc.gc', method: string) => async () => {
    setActionError(undefined);
    try {
      await call(routePath(route, a.ID), { method, need: routeNeed(route, a.Namespace) });
      if (route === 'alloc.gc') navigate('/allocations');
      else alloc.refresh();
    } catch (e) {
      setActionError(e);
    }
  };
  return (
    <>
      <nav class="crumbs" aria-label="Breadcrumb">
        <Link href="/allocations">Allocations</Link> <span aria-hidden="true">/</span> <span>{a.Name}</span>
      </nav>
      <header class="page-head">
        <h1>
          {a.Name} <Status value={a.ClientStatus} />
        </h1>
        <div class="actions">
          <Link class="button" href={`/allocations/${a.ID}/fs`}>
            Files
          </Link>
          {tasks[0] !== undefined && (
            <Link class="button" href={`/allocations/${a.ID}/logs?task=${enc(tasks[0])}`}>
              Logs
            </Link>
          )}
          {running && can(sess, ROUTES['alloc.stop'].capability, a.Namespace) && (
            <ConfirmButton label="Stop" confirm="Really stop?" danger run={act('alloc.stop', 'POST')} />
          )}
          {!running && can(sess, ROUTES['alloc.gc'].capability, a.Namespace) && (
            <ConfirmButton label="GC" confirm="Really collect?" danger run={act('alloc.gc', 'GET')} />
          )}
        </div>
        <dl class="facts">
          <div>
            <dt>ID</dt>
            <dd class="mono">{a.ID}</dd>
          </div>
          <div>
            <dt>Namespace</dt>
            <dd>{a.Namespace}</dd>
          </div>
          <div>
            <dt>Job</dt>
            <dd>
              <Link href={`/allocations?job=${enc(a.JobID)}`}>{a.JobID}</Link>
            </dd>
          </div>
          <div>
            <dt>Node</dt>
            <dd class="mono">
              <Link href={`/nodes/${a.NodeID}`}>{a.NodeID.slice(0, 8)}</Link>
            </dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>{fromNanos(a.CreateTime)}</dd>
          </div>
          <div>
            <dt>Modified</dt>
            <dd>{fromNanos(a.ModifyTime)}</dd>
          </div>
        </dl>
      </header>
      {actionError !== undefined && <ErrorPanel error={actionError} what="that action" />}
      <section aria-labelledby="tasks-title">
        <h2 id="tasks-title">Tasks</h2>
        <div class="table-wrap">
          <table class="table" aria-label="Tasks">
            <thead>
              <tr>
                <th scope="col">Task</th>
                <th scope="col">State</th>
                <th scope="col">Logs</th>
              </tr>
            </thead>
            <tbody>
              {tasks.map((t) => (
                <tr key={t}>
                  <td>{t}</td>
                  <td>
                    <Status value={a.TaskStates[t]!.State} />
                  </td>
                  <td class="links">
                    <Link href={`/allocations/${a.ID}/logs?task=${enc(t)}&type=stdout`}>stdout</Link>
                    <Link href={`/allocations/${a.ID}/logs?task=${enc(t)}&type=stderr`}>stderr</Link>
                    <Link href={`/allocations/${a.ID}/fs?path=${enc(t)}`}>files</Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section aria-labelledby="usage-title">
        <h2 id="usage-title">Resource usage</h2>
        {running ? <TaskCharts alloc={a} /> : <p class="muted">The allocation is not running.</p>}
      </section>
    </>
  );
};

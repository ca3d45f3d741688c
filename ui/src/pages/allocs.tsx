import { enc } from '../api/http';
import { readJob } from '../api/needs';
import type { AllocStub, NodeStub } from '../api/types';
import { useWatch } from '../api/watch';
import { ErrorPanel } from '../components/error-panel';
import { Loading, Status } from '../components/status';
import { fromNanos, shortId } from '../lib/format';
import { Link, navigate, useLocation, withQuery } from '../router';

const STATUSES = ['pending', 'running', 'complete', 'failed', 'lost'];

const uniq = (xs: string[]) => [...new Set(xs)].sort();

/** Allocations the token may read, filtered by namespace, job, node and status (all in the URL). */
export const AllocsPage = () => {
  const loc = useLocation();
  const namespace = loc.query.get('namespace') ?? '*';
  const job = loc.query.get('job') ?? '';
  const node = loc.query.get('node') ?? '';
  const status = loc.query.get('status') ?? '';
  const allocs = useWatch<AllocStub[]>(`/v1/allocations?namespace=${enc(namespace || '*')}`, {
    need: readJob(namespace === '*' ? undefined : namespace),
    intervalMs: 3000,
  });
  // Node names are a nicety: a token without node read still sees the allocations, by node ID.
  const nodes = useWatch<NodeStub[]>('/v1/nodes', { intervalMs: 10000 });
  const names = new Map((nodes.data ?? []).map((n) => [n.ID, n.Name]));
  const all = allocs.data ?? [];
  const list = all
    .filter(
      (a) =>
        (!job || a.JobID === job) && (!node || a.NodeID === node) && (!status || a.ClientStatus === status),
    )
    .sort((a, b) => b.CreateTime - a.CreateTime);
  const set = (k: string, v: string) => navigate(withQuery(loc, { [k]: v }), { replace: true });
  return (
    <>
      <header class="page-head">
        <h1>Allocations</h1>
        {allocs.data && (
          <p class="muted">
            {list.length} of {all.length} shown
          </p>
        )}
      </header>
      <form
        class="filters"
        role="search"
        aria-label="Filter allocations"
        onSubmit={(e) => e.preventDefault()}
      >
        <label>
          Namespace
          <input
            value={namespace}
            list="namespaces"
            onChange={(e) => set('namespace', e.currentTarget.value === '*' ? '' : e.currentTarget.value)}
          />
          <datalist id="namespaces">
            <option value="*" />
            {uniq(all.map((a) => a.Namespace)).map((n) => (
              <option key={n} value={n} />
            ))}
          </datalist>
        </label>
        <label>
          Job
          <select value={job} onChange={(e) => set('job', e.currentTarget.value)}>
            <option value="">All jobs</option>
            {uniq([...all.map((a) => a.JobID), ...(job ? [job] : [])]).map((j) => (
              <option key={j} value={j}>
                {j}
              </option>
            ))}
          </select>
        </label>
        <label>
          Node
          <select value={node} onChange={(e) => set('node', e.currentTarget.value)}>
            <option value="">All nodes</option>
            {uniq([...all.map((a) => a.NodeID), ...(node ? [node] : [])]).map((n) => (
              <option key={n} value={n}>
                {names.get(n) ?? shortId(n)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select value={status} onChange={(e) => set('status', e.currentTarget.value)}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </form>
      {allocs.error !== undefined && !allocs.data ? (
        <ErrorPanel error={allocs.error} what="allocations" />
      ) : !allocs.loaded ? (
        <Loading what="allocations" />
      ) : list.length === 0 ? (
        <p class="empty">No allocation matches.</p>
      ) : (
        <div class="table-wrap">
          <table class="table" aria-label="Allocations">
            <thead>
              <tr>
                <th scope="col">ID</th>
                <th scope="col">Name</th>
                <th scope="col">Namespace</th>
                <th scope="col">Job</th>
                <th scope="col">Node</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.map((a) => (
                <tr key={a.ID}>
                  <td class="mono">
                    <Link href={`/allocations/${a.ID}`}>{shortId(a.ID)}</Link>
                  </td>
                  <td>{a.Name}</td>
                  <td>{a.Namespace}</td>
                  <td>{a.JobID}</td>
                  <td>
                    {names.has(a.NodeID) ? (
                      <Link href={`/nodes/${a.NodeID}`}>{names.get(a.NodeID)}</Link>
                    ) : (
                      shortId(a.NodeID)
                    )}
                  </td>
                  <td>
                    <Status value={a.ClientStatus} />
                  </td>
                  <td>{fromNanos(a.CreateTime)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
};

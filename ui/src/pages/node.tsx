import { useEffect, useState } from 'preact/hooks';
import { call, enc } from '../api/http';
import { nodeRead, routeNeed } from '../api/needs';
import { can, session } from '../api/session';
import type { AllocStub, HostStats, NodeDetail, NodeMetaResponse } from '../api/types';
import { useLoad, useWatch } from '../api/watch';
import { Chart, pushSample } from '../components/chart';
import { ErrorPanel } from '../components/error-panel';
import { Loading, Status } from '../components/status';
import { ROUTES, routePath } from '../../../src/wire/routes';
import { ago, formatBytes, formatPercent, fromNanos, shortId } from '../lib/format';
import { useStore } from '../lib/store';
import { Link } from '../router';

interface Samples {
  cpu: number[];
  mem: number[];
  disk: number[];
  memTotal: number;
}

/** Host CPU, memory and allocation-disk use, sampled every second. */
const HostCharts = ({ nodeId }: { nodeId: string }) => {
  const stats = useWatch<HostStats>(`${routePath('stats.host')}?node_id=${enc(nodeId)}`, {
    intervalMs: 1000,
    need: routeNeed('stats.host'),
  });
  const [s, setS] = useState<Samples>({ cpu: [], mem: [], disk: [], memTotal: 0 });
  useEffect(() => {
    const d = stats.data;
    if (!d) return;
    const cpu = d.CPU.length ? d.CPU.reduce((a, c) => a + c.TotalPercent, 0) / d.CPU.length : 0;
    setS((p) => ({
      cpu: pushSample(p.cpu, cpu),
      mem: pushSample(p.mem, d.Memory.Used),
      disk: pushSample(p.disk, d.AllocDirStats?.UsedPercent ?? 0),
      memTotal: d.Memory.Total,
    }));
  }, [stats.data]);
  if (stats.error !== undefined && !stats.data) return <ErrorPanel error={stats.error} what="host stats" />;
  if (!stats.data) return <Loading what="host stats" />;
  const d = stats.data;
  return (
    <div class="charts">
      <Chart
        title={`CPU (${d.CPU.length} cores)`}
        series={[{ label: 'total', values: s.cpu, color: 'c0' }]}
        max={100}
        format={formatPercent}
      />
      <Chart
        title={`Memory of ${formatBytes(s.memTotal)}`}
        series={[{ label: 'used', values: s.mem, color: 'c1' }]}
        max={s.memTotal || undefined}
        format={formatBytes}
      />
      <Chart
        title={`Disk (${formatBytes(d.AllocDirStats?.Size ?? 0)} allocation dir)`}
        series={[{ label: 'used', values: s.disk, color: 'c2' }]}
        max={100}
        format={formatPercent}
      />
    </div>
  );
};

/** Node metadata: static and dynamic keys; dynamic ones editable when the token has node write. */
const Metadata = ({ nodeId }: { nodeId: string }) => {
  const sess = useStore(session);
  const meta = useLoad<NodeMetaResponse>(
    `${routePath('metadata.read')}?node_id=${enc(nodeId)}`,
    routeNeed('metadata.read'),
  );
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>();
  const writable = can(sess, ROUTES['metadata.apply'].capability);
  const apply = async (m: Record<string, string | null>) => {
    setBusy(true);
    setErr(undefined);
    try {
      await call(routePath('metadata.apply'), {
        method: 'POST',
        body: JSON.stringify({ NodeID: nodeId, Meta: m }),
        need: routeNeed('metadata.apply'),
      });
      setKey('');
      setValue('');
      meta.refresh();
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };
  if (meta.error !== undefined) return <ErrorPanel error={meta.error} what="node metadata" />;
  if (!meta.data) return <Loading what="metadata" />;
  const dynamic = meta.data.Dynamic ?? {};
  const keys = Object.keys(meta.data.Meta).sort();
  return (
    <>
      <div class="table-wrap">
        <table class="table compact" aria-label="Node metadata">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Value</th>
              <th scope="col">Source</th>
              {writable && (
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k}>
                <td class="mono">{k}</td>
                <td class="mono wrap">{meta.data!.Meta[k]}</td>
                <td>{k in dynamic ? 'dynamic' : 'static'}</td>
                {writable && (
                  <td class="row-actions">
                    {k in dynamic && (
                      <button
                        type="button"
                        class="link danger"
                        disabled={busy}
                        aria-label={`Remove ${k}`}
                        onClick={() => void apply({ [k]: null })}
                      >
                        Remove
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {writable ? (
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (key.trim()) void apply({ [key.trim()]: value });
          }}
        >
          <label>
            Key
            <input value={key} onInput={(e) => setKey(e.currentTarget.value)} required />
          </label>
          <label>
            Value
            <input value={value} onInput={(e) => setValue(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={busy}>
            Set
          </button>
        </form>
      ) : (
        <p class="muted">Editing metadata needs node write.</p>
      )}
      {err !== undefined && <ErrorPanel error={err} what="the metadata change" />}
    </>
  );
};

export const NodePage = ({ id }: { id: string }) => {
  const node = useWatch<NodeDetail>(`/v1/node/${enc(id)}`, { need: nodeRead, intervalMs: 2000 });
  const allocs = useWatch<AllocStub[]>(`/v1/node/${enc(id)}/allocations`, {
    need: nodeRead,
    intervalMs: 5000,
  });
  if (node.error !== undefined && !node.data) return <ErrorPanel error={node.error} what="the node" />;
  if (!node.data) return <Loading what="node" />;
  const n = node.data;
  return (
    <>
      <nav class="crumbs" aria-label="Breadcrumb">
        <Link href="/nodes">Nodes</Link> <span aria-hidden="true">/</span> <span>{n.Name}</span>
      </nav>
      <header class="page-head">
        <h1>
          {n.Name} <Status value={n.Status} />
        </h1>
        <dl class="facts">
          <div>
            <dt>ID</dt>
            <dd class="mono">{n.ID}</dd>
          </div>
          <div>
            <dt>Datacenter</dt>
            <dd>{n.Datacenter}</dd>
          </div>
          <div>
            <dt>Address</dt>
            <dd class="mono">{n.HTTPAddr}</dd>
          </div>
          <div>
            <dt>{n.LastHeartbeat ? 'Last heartbeat' : 'Status since'}</dt>
            <dd>
              {n.LastHeartbeat
                ? ago(n.LastHeartbeat)
                : n.StatusUpdatedAt
                  ? ago(n.StatusUpdatedAt * 1000)
                  : '—'}
            </dd>
          </div>
          <div>
            <dt>Version</dt>
            <dd>{n.Version}</dd>
          </div>
        </dl>
      </header>
      <section aria-labelledby="host-title">
        <h2 id="host-title">Host</h2>
        {n.Status === 'ready' ? (
          <HostCharts nodeId={n.ID} />
        ) : (
          <p class="muted">The node is down: no live stats.</p>
        )}
      </section>
      <section aria-labelledby="allocs-title">
        <h2 id="allocs-title">Allocations</h2>
        {allocs.error !== undefined && !allocs.data ? (
          <ErrorPanel error={allocs.error} what="the node's allocations" />
        ) : (
          <ul class="chips">
            {(allocs.data ?? []).map((a) => (
              <li key={a.ID}>
                <Link href={`/allocations/${a.ID}`}>
                  <span class="mono">{shortId(a.ID)}</span> {a.Name}
                </Link>{' '}
                <Status value={a.ClientStatus} /> <span class="muted">{fromNanos(a.CreateTime)}</span>
              </li>
            ))}
            {allocs.data?.length === 0 && <li class="muted">None.</li>}
          </ul>
        )}
      </section>
      <section aria-labelledby="meta-title">
        <h2 id="meta-title">Metadata</h2>
        {n.Status === 'ready' ? <Metadata nodeId={n.ID} /> : <p class="muted">The node is down.</p>}
      </section>
    </>
  );
};

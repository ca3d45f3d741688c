import { nodeRead } from '../api/needs';
import type { AllocStub, NodeStub } from '../api/types';
import { useWatch } from '../api/watch';
import { ErrorPanel } from '../components/error-panel';
import { Loading, Status } from '../components/status';
import { ago, shortId } from '../lib/format';
import { Link } from '../router';

/** Every node the registry knows, live: a node whose heartbeat lapses turns `down` in place. */
export const NodesPage = () => {
  const nodes = useWatch<NodeStub[]>('/v1/nodes', { need: nodeRead, intervalMs: 2000 });
  // Counts cover the allocations the token may read (the list is filtered by namespace rights).
  const allocs = useWatch<AllocStub[]>('/v1/allocations?namespace=*', { intervalMs: 5000 });
  const counts = new Map<string, number>();
  for (const a of allocs.data ?? []) counts.set(a.NodeID, (counts.get(a.NodeID) ?? 0) + 1);
  const list = [...(nodes.data ?? [])].sort((a, b) => a.Name.localeCompare(b.Name));
  // Nomad's node list has no heartbeat time; show the column only when the gateway sends one.
  const beats = list.some((n) => n.LastHeartbeat);
  return (
    <>
      <header class="page-head">
        <h1>Nodes</h1>
        {nodes.data && (
          <p class="muted">
            {list.filter((n) => n.Status === 'ready').length} ready,{' '}
            {list.filter((n) => n.Status !== 'ready').length} down
          </p>
        )}
      </header>
      {nodes.error !== undefined && !nodes.data ? (
        <ErrorPanel error={nodes.error} what="the node list" />
      ) : !nodes.loaded ? (
        <Loading what="nodes" />
      ) : list.length === 0 ? (
        <p class="empty">No node has registered yet. Start one with `fleetgate agent`.</p>
      ) : (
        <div class="table-wrap">
          <table class="table" aria-label="Nodes">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">ID</th>
                <th scope="col">Status</th>
                <th scope="col">Datacenter</th>
                <th scope="col">Address</th>
                <th scope="col" class="num">
                  Allocations
                </th>
                {beats && <th scope="col">Last heartbeat</th>}
              </tr>
            </thead>
            <tbody>
              {list.map((n) => (
                <tr key={n.ID} data-node={n.ID}>
                  <td>
                    <Link href={`/nodes/${n.ID}`}>{n.Name}</Link>
                  </td>
                  <td class="mono">{shortId(n.ID)}</td>
                  <td data-col="status">
                    <Status value={n.Status} />
                  </td>
                  <td>{n.Datacenter}</td>
                  <td class="mono">{n.HTTPAddr}</td>
                  <td class="num">{counts.get(n.ID) ?? 0}</td>
                  {beats && <td>{n.LastHeartbeat ? ago(n.LastHeartbeat) : '—'}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
};

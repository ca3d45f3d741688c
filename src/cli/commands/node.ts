import fs from 'node:fs';
import type { Command } from 'commander';
import { resolveNodeId, type FleetgateClient, type HostStats, type NodeRecord } from '../../api';
import { humanBytes, json, keyValues, percent, shortId, table } from '../output/format';
import { usage } from '../output/errors';
import { dict } from '../../wire/dict';
import { action, out, prepareArgv, withCommonOptions } from './op-common';

/** `fleetgate node status|meta read|meta apply|gc`. */
export const register = (program: Command): void => {
  prepareArgv();
  const node = program.command('node').description('inspect and manage nodes');

  withCommonOptions(node.command('status').argument('[node]', 'node ID, unique prefix or name'))
    .description('list nodes, or show one node with its host stats')
    .action(
      action(async (client, opts, prefix: string | undefined) => {
        if (!prefix) {
          const nodes = await client.nodes();
          if (opts.json) return out(json(nodes));
          if (nodes.length === 0) return out('No nodes registered\n');
          return out(
            table([
              ['ID', 'Name', 'DC', 'Address', 'Status'],
              ...nodes.map((n) => [shortId(n.ID), n.Name, n.Datacenter ?? '', n.HTTPAddr ?? '', n.Status]),
            ]),
          );
        }
        const id = await resolveNodeId(client, prefix);
        const n = await client.node(id);
        // A down node cannot report stats; show what the registry knows instead of failing.
        const stats = n.Status === 'down' ? undefined : await client.nodeStats(id).catch(() => undefined);
        if (opts.json) return out(json({ Node: n, Stats: stats ?? null }));
        out(formatNode(n, stats));
      }),
    );

  const meta = node.command('meta').description('dynamic node metadata');
  withCommonOptions(meta.command('read'))
    .option('--node-id <id>', 'node ID, prefix or name (default: the only node)')
    .description("read a node's metadata")
    .action(
      action(async (client, opts) => {
        const id = await nodeArg(client, opts['nodeId']);
        const m = await client.metaRead(id);
        out(opts.json ? json(m) : formatMeta(m.Meta, m.Dynamic));
      }),
    );
  withCommonOptions(meta.command('apply').argument('[pairs...]', 'key=value pairs to set'))
    .option('--node-id <id>', 'node ID, prefix or name (default: the only node)')
    .option('--unset <keys>', 'comma-separated keys to remove')
    .description("set or unset a node's dynamic metadata")
    .action(
      action(async (client, opts, pairs: string[]) => {
        const changes = dict<string | null>();
        for (const p of pairs) {
          const eq = p.indexOf('=');
          if (eq <= 0) throw usage(`"${p}" is not key=value`);
          changes[p.slice(0, eq)] = p.slice(eq + 1);
        }
        const unset = typeof opts['unset'] === 'string' ? opts['unset'] : '';
        for (const k of unset
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean))
          changes[k] = null;
        if (Object.keys(changes).length === 0)
          throw usage('nothing to apply: give key=value pairs or -unset k1,k2');
        const id = await nodeArg(client, opts['nodeId']);
        const m = await client.metaApply(id, changes);
        out(opts.json ? json(m) : formatMeta(m.Meta, m.Dynamic));
      }),
    );

  withCommonOptions(node.command('gc').argument('[node]', 'node ID, prefix or name (default: the only node)'))
    .description('garbage-collect every terminal allocation on a node')
    .action(
      action(async (client, opts, prefix: string | undefined) => {
        const id = await nodeArg(client, prefix);
        await client.gcNode(id);
        out(opts.json ? json({ NodeID: id, GarbageCollected: true }) : `Node ${id} garbage collected\n`);
      }),
    );

  const join = node.command('join-token').description('tokens that let a new node join the fleet');
  withCommonOptions(join.command('create'))
    .option('--name <name>', 'label for the token', '')
    .option('--ttl <duration>', 'how long it admits new nodes, e.g. 24h (default 24h)')
    .option('--out <file>', "write the SecretID to FILE (mode 0600), for the agent's --join-token")
    .description('create a join token (needs the management token)')
    .action(
      action(async (client, opts) => {
        const ttl = typeof opts['ttl'] === 'string' ? opts['ttl'] : undefined;
        if (ttl !== undefined && !/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(ttl))
          throw usage(`-ttl "${ttl}" is not a duration like 24h or 30m`);
        const t = await client.joinTokenCreate({
          Name: String(opts['name'] ?? ''),
          ...(ttl ? { ExpirationTTL: ttl } : {}),
        });
        if (typeof opts['out'] === 'string')
          fs.writeFileSync(opts['out'], `${t.SecretID}\n`, { mode: 0o600 });
        out(
          opts.json
            ? json(t)
            : keyValues([
                ['Accessor ID', t.AccessorID],
                ['Secret ID', t.SecretID],
                ['Name', t.Name],
                ['Expiry Time', t.ExpirationTime],
              ]),
        );
      }),
    );
  withCommonOptions(join.command('revoke').argument('<accessor>', 'accessor ID of the join token'))
    .description('revoke a join token (nodes that already joined keep their own secret)')
    .action(
      action(async (client, opts, accessor: string) => {
        await client.joinTokenRevoke(accessor);
        out(opts.json ? json({ AccessorID: accessor, Revoked: true }) : `Join token ${accessor} revoked\n`);
      }),
    );
};

/** A node argument, or the only node when the cluster has one (Nomad's local-node default). */
const nodeArg = async (client: FleetgateClient, given: unknown): Promise<string> => {
  if (typeof given === 'string' && given) return resolveNodeId(client, given);
  const nodes = await client.nodes();
  if (nodes.length === 1) return nodes[0]!.ID;
  throw usage(`${nodes.length} nodes registered; pick one with -node-id (see "fleetgate node status")`);
};

const formatMeta = (meta: Record<string, string>, dynamic: Record<string, string | null>): string => {
  const keys = Object.keys(meta).sort();
  const dyn = new Set(Object.keys(dynamic ?? {}));
  if (keys.length === 0) return 'No metadata\n';
  return table([
    ['Key', 'Value', 'Source'],
    ...keys.map((k) => [k, meta[k] ?? '', dyn.has(k) ? 'dynamic' : 'static']),
  ]);
};

export const formatNode = (n: NodeRecord, s: HostStats | undefined): string => {
  let text = keyValues([
    ['ID', n.ID],
    ['Name', n.Name],
    ['Datacenter', n.Datacenter ?? ''],
    ['Address', n.HTTPAddr ?? ''],
    ['Status', n.Status],
    ['Version', n.Version ?? ''],
  ]);
  const meta = Object.entries(n.Meta ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (meta.length > 0) text += `\nMeta\n${keyValues(meta)}`;
  if (!s) return text + (n.Status === 'down' ? '\nHost stats unavailable: the node is down\n' : '');
  const cpu = s.CPU.reduce((t, c) => t + c.TotalPercent, 0) / Math.max(1, s.CPU.length);
  const disk = s.AllocDirStats;
  return (
    text +
    '\nHost Resource Utilization\n' +
    table([
      ['CPU', 'Memory Used', 'Memory Total', 'Alloc Dir Disk Used', 'Uptime'],
      [
        percent(cpu),
        humanBytes(s.Memory.Used),
        humanBytes(s.Memory.Total),
        `${humanBytes(disk.Used)} / ${humanBytes(disk.Size)}`,
        formatUptime(s.Uptime),
      ],
    ])
  );
};

const formatUptime = (secs: number): string => {
  const d = Math.floor(secs / 86400);
  const h = Math.floor((secs % 86400) / 3600);
  const m = Math.floor((secs % 3600) / 60);
  return d > 0 ? `${d}d${h}h${m}m` : h > 0 ? `${h}h${m}m` : `${m}m${Math.floor(secs % 60)}s`;
};

import type { Command } from 'commander';
import { resolveAllocId, taskNames, type AllocResourceUsage } from '../../api';
import { humanBytes, json, keyValues, nanosToIso, percent, table } from '../output/format';
import { registerAllocFs } from './alloc-fs';
import { registerAllocLogs } from './alloc-logs';
import { action, out, prepareArgv, withCommonOptions } from './op-common';

/** `fleetgate alloc status|stop|gc|stats|logs|fs`. */
export const register = (program: Command): void => {
  prepareArgv();
  const alloc = program.command('alloc').description('inspect and manage allocations');

  withCommonOptions(alloc.command('status').argument('<alloc>', 'allocation ID or unique prefix'))
    .description('show an allocation')
    .action(
      action(async (client, opts, prefix: string) => {
        const a = await client.allocation(await resolveAllocId(client, prefix));
        if (opts.json) return out(json(a));
        out(
          keyValues([
            ['ID', a.ID],
            ['Name', a.Name ?? ''],
            ['Namespace', a.Namespace ?? ''],
            ['Node ID', a.NodeID],
            ['Job ID', a.JobID ?? ''],
            ['Task Group', a.TaskGroup ?? ''],
            ['Client Status', a.ClientStatus ?? ''],
            ['Tasks', taskNames(a).join(', ')],
            ['Created', nanosToIso(a.CreateTime)],
            ['Modified', nanosToIso(a.ModifyTime)],
          ]),
        );
      }),
    );

  withCommonOptions(alloc.command('stop').argument('<alloc>', 'allocation ID or unique prefix'))
    .description('stop an allocation')
    .action(
      action(async (client, opts, prefix: string) => {
        const id = await resolveAllocId(client, prefix);
        const reply = await client.stopAlloc(id);
        out(opts.json ? json(reply ?? { ID: id }) : `Allocation ${id} stopping\n`);
      }),
    );

  withCommonOptions(alloc.command('gc').argument('<alloc>', 'allocation ID or unique prefix'))
    .description("garbage-collect a terminal allocation's files on its node")
    .action(
      action(async (client, opts, prefix: string) => {
        const id = await resolveAllocId(client, prefix);
        await client.gcAlloc(id);
        out(opts.json ? json({ ID: id, GarbageCollected: true }) : `Allocation ${id} garbage collected\n`);
      }),
    );

  withCommonOptions(alloc.command('stats').argument('<alloc>', 'allocation ID or unique prefix'))
    .option('--task <name>', 'only this task')
    .description('resource usage of an allocation and its tasks')
    .action(
      action(async (client, opts, prefix: string) => {
        const id = await resolveAllocId(client, prefix);
        const s = await client.allocStats(id, typeof opts['task'] === 'string' ? opts['task'] : undefined);
        out(opts.json ? json(s) : formatAllocStats(s));
      }),
    );

  registerAllocLogs(alloc);
  registerAllocFs(alloc);
};

export const formatAllocStats = (s: AllocResourceUsage): string => {
  const row = (name: string, u: AllocResourceUsage['ResourceUsage']) => [
    name,
    percent(u.CpuStats.Percent),
    u.CpuStats.TotalTicks.toFixed(2),
    humanBytes(u.MemoryStats.RSS),
    humanBytes(u.MemoryStats.Cache),
    humanBytes(u.MemoryStats.Swap),
  ];
  const rows = [['Task', 'CPU', 'Ticks (MHz)', 'RSS', 'Cache', 'Swap'], row('(total)', s.ResourceUsage)];
  for (const [name, t] of Object.entries(s.Tasks ?? {}).sort(([a], [b]) => a.localeCompare(b)))
    rows.push(row(name, t.ResourceUsage));
  return table(rows);
};

import type { Command } from 'commander';
import {
  followLogs,
  readFrames,
  resolveAllocId,
  taskNames,
  type FleetgateClient,
  type LogType,
  type Origin,
} from '../../api';
import { usage } from '../output/errors';
import { bytesForLines, countLines } from '../output/lines';
import { Sink } from '../output/sink';
import { TerminalWatch } from './alloc-terminal';
import { ReconnectProgress } from '../output/reconnect';
import { action, parseDuration, withCommonOptions, withTailOptions, type CommonOptions } from './op-common';

interface LogsOptions extends CommonOptions {
  follow?: boolean;
  stderr?: boolean;
  tail?: boolean;
  n?: number;
  c?: number;
  giveUp?: string;
}

export const registerAllocLogs = (alloc: Command): void => {
  withTailOptions(
    withCommonOptions(
      alloc
        .command('logs')
        .argument('<alloc>', 'allocation ID or unique prefix')
        .argument('[task]', 'task name (optional when the allocation has one task)'),
    ),
    'keep streaming; ends by itself once the allocation is terminal',
  )
    .description("print a task's logs")
    .option('--stderr', 'stderr instead of stdout')
    .action(
      action(async (client, opts: LogsOptions, prefix: string, taskArg: string | undefined) =>
        logs(client, opts, prefix, taskArg),
      ),
    );
};

const pickTask = (tasks: readonly string[], asked: string | undefined): string => {
  if (asked) return asked;
  if (tasks.length === 1) return tasks[0]!;
  throw usage(
    `the allocation has ${tasks.length} tasks (${tasks.join(', ')}); name one: fleetgate alloc logs ALLOC TASK`,
  );
};

const logs = async (
  client: FleetgateClient,
  opts: LogsOptions,
  prefix: string,
  taskArg: string | undefined,
): Promise<void> => {
  const allocId = await resolveAllocId(client, prefix);
  // With the task given, skip the lookup: a token may allow read-logs without read-job.
  const task = taskArg ?? pickTask(taskNames(await client.allocation(allocId)), undefined);
  const type: LogType = opts.stderr ? 'stderr' : 'stdout';
  const tail = Boolean(opts.tail) || opts.n !== undefined || opts.c !== undefined;
  const lines = tail && opts.c === undefined ? (opts.n ?? 10) : undefined;
  const sink = new Sink(Boolean(opts.json), lines, opts.follow ? 300 : Infinity);
  if (!opts.follow) {
    if (lines !== undefined) return tailLines(client, allocId, task, type, lines, sink);
    const origin: Origin = tail ? 'end' : 'start';
    const { res } = await client.logs(allocId, {
      task,
      type,
      follow: false,
      origin,
      offset: tail ? (opts.c ?? 0) : 0,
    });
    for await (const item of readFrames(res)) await sink.item(item);
    return sink.flush();
  }
  const giveUpMs = parseDuration(opts.giveUp ?? process.env['FLEETGATE_FOLLOW_GIVE_UP'] ?? '60s');
  const watch = new TerminalWatch(client, allocId);
  const progress = new ReconnectProgress(giveUpMs, Boolean(opts.verbose));
  const stream = followLogs(
    client,
    {
      allocId,
      task,
      type,
      origin: tail ? 'end' : 'start',
      offset: tail ? (opts.c ?? bytesForLines(lines ?? 10)) : 0,
    },
    {
      heartbeats: true,
      final: watch.ended,
      onReconnecting: (err, ms, state) => progress.failed(err, ms, state),
      onResumed: (o, pos) => progress.resumed(o, pos),
      onLoss: (msg) => process.stderr.write(`fleetgate: warning: ${msg}\n`),
    },
    { giveUpMs, initialBackoffMs: 200, maxBackoffMs: 2000, notFoundGraceMs: 5000 },
  );
  try {
    for await (const item of stream) await sink.item(item);
    await sink.flush();
  } finally {
    watch.stop();
  }
};

/** Non-follow `-n`: widen the byte window until it holds enough lines or the whole log. */
const tailLines = async (
  client: FleetgateClient,
  allocId: string,
  task: string,
  type: LogType,
  n: number,
  sink: Sink,
): Promise<void> => {
  for (let window = bytesForLines(n); ; window *= 4) {
    const { res } = await client.logs(allocId, { task, type, follow: false, origin: 'end', offset: window });
    const probe = new Sink(false, n);
    let got = 0;
    for await (const item of readFrames(res)) {
      if (item.kind === 'data') got += item.data.length;
      probe.collect(item);
    }
    if (got < window || countLines(probe.buffered()) > n) {
      for (const item of probe.items()) await sink.item(item);
      return sink.flush();
    }
  }
};

import type { Command } from 'commander';
import {
  ApiError,
  GiveUpError,
  readFrames,
  type FleetgateClient,
  type JobLogsQuery,
  type Position,
  type StreamItem,
} from '../../api';
import { formatResume, sourceKey } from '../../wire/job-frames';
import { bytesForLines, lastLines } from '../output/lines';
import { ReconnectProgress } from '../output/reconnect';
import { writeOut } from '../output/write';
import { action, parseCount, parseDuration, withCommonOptions, type CommonOptions } from './op-common';

interface JobLogsOptions extends CommonOptions {
  follow?: boolean;
  task?: string;
  stderr?: boolean;
  tail?: boolean;
  n?: number;
  prefix?: boolean;
  namespace?: string;
  giveUp?: string;
}

/** The prefix the gateway renders per source: `[<group>.<index> <alloc8>] ` (plus the task when several). */
const PREFIX_TEMPLATE = '[{group}.{index} {alloc}] ';

export const registerJobLogs = (job: Command): void => {
  withCommonOptions(job.command('logs').argument('<job>', 'job ID'))
    .description('print the logs of every allocation of a job, merged, each line prefixed with its source')
    .option('-f, --follow', 'keep streaming, picking up new allocations; ends once the job is over')
    .option('--task <name>', 'only this task of each allocation')
    .option('--stderr', 'stderr instead of stdout')
    .option('--tail', 'start near the end of each source (10 lines unless -n)')
    .option('-n <lines>', 'last LINES lines of each source (implies -tail)', parseCount('-n'))
    .option('--no-prefix', 'print lines without their [group.index alloc] prefix')
    .option('--namespace <ns>', 'the job namespace (default "default")')
    .option(
      '--give-up <duration>',
      'with -f: stop reconnecting after the stream is down this long (default 60s, env FLEETGATE_FOLLOW_GIVE_UP)',
    )
    .action(action(async (client, opts: JobLogsOptions, jobId: string) => jobLogs(client, opts, jobId)));
};

/** One source's unfinished line and tail state. */
interface Pending {
  partial: Buffer;
  /** Tail mode: drop bytes up to the first newline (the window starts mid-line). */
  skipping: boolean;
  prefix: string;
}

const jobLogs = async (client: FleetgateClient, opts: JobLogsOptions, jobId: string): Promise<void> => {
  const tail = Boolean(opts.tail) || opts.n !== undefined;
  const lines = tail ? (opts.n ?? 10) : undefined;
  const base: JobLogsQuery = {
    type: opts.stderr ? 'stderr' : 'stdout',
    follow: Boolean(opts.follow),
    origin: tail ? 'end' : 'start',
    offset: tail ? bytesForLines(lines ?? 10) : 0,
    // Framed, so lines can be resumed per source; the gateway renders each source's prefix.
    prefix: opts.prefix === false ? 'false' : PREFIX_TEMPLATE,
    ...(opts.namespace ? { namespace: opts.namespace } : {}),
    ...(opts.task ? { task: opts.task } : {}),
  };
  const positions = new Map<string, Position>();
  const pending = new Map<string, Pending>();
  /** Non-follow -n: whole output per source, trimmed to its last N lines at the end. */
  const collected = new Map<string, Buffer[]>();

  const emit = async (key: string, p: Pending, text: Buffer): Promise<void> => {
    if (!opts.follow && lines !== undefined) {
      const list = collected.get(key) ?? [];
      list.push(text);
      collected.set(key, list);
      return;
    }
    await writeOut(process.stdout, prefixLines(p.prefix, text));
  };

  const onItem = async (item: StreamItem): Promise<void> => {
    if (item.kind === 'heartbeat' || !item.source) return;
    const key = sourceKey(item.source.allocId, item.source.task);
    let p = pending.get(key);
    if (!p) {
      p = { partial: Buffer.alloc(0), skipping: tail && !positions.has(key), prefix: item.prefix ?? '' };
      pending.set(key, p);
    }
    if (item.kind === 'data') {
      positions.set(key, { file: item.file, offset: item.offset });
      let data = p.partial.length > 0 ? Buffer.concat([p.partial, item.data]) : item.data;
      if (p.skipping) {
        const nl = data.indexOf(0x0a);
        if (nl < 0) return;
        data = data.subarray(nl + 1);
        p.skipping = false;
      }
      const end = data.lastIndexOf(0x0a) + 1;
      p.partial = Buffer.from(data.subarray(end));
      if (end > 0) await emit(key, p, data.subarray(0, end));
      return;
    }
    if (item.event === 'source ended') {
      if (p.partial.length > 0) await emit(key, p, Buffer.concat([p.partial, Buffer.from('\n')]));
      p.partial = Buffer.alloc(0);
      if (opts.verbose) process.stderr.write(`fleetgate: ${p.prefix}source ended\n`);
    } else if (item.event.startsWith('source ') || item.event === 'output lost') {
      process.stderr.write(`fleetgate: ${p.prefix}${item.event}${item.message ? `: ${item.message}` : ''}\n`);
    }
  };

  const giveUpMs = parseDuration(opts.giveUp ?? process.env['FLEETGATE_FOLLOW_GIVE_UP'] ?? '60s');
  let connected = false;
  let downSince: number | undefined;
  let attempt = 0;
  let backoff = 200;
  const progress = new ReconnectProgress(giveUpMs, Boolean(opts.verbose));
  for (;;) {
    try {
      const res = await client.jobLogs(jobId, {
        ...base,
        ...(positions.size > 0 ? { resume: formatResume(positions) } : {}),
      });
      if (connected) progress.resumed({ res, via: 'gateway', base: client.gateway.base }, undefined);
      connected = true;
      for await (const item of readFrames(res, { heartbeats: true, base: client.gateway.base })) {
        downSince = undefined;
        attempt = 0;
        backoff = 200;
        await onItem(item);
      }
      break;
    } catch (err) {
      // The first request's errors are final (wrong job, no permission); later drops are retried.
      if (!opts.follow || !connected) throw err;
      if (err instanceof ApiError && err.status < 500 && err.status !== 429) throw err;
      const now = Date.now();
      downSince ??= now;
      if (now - downSince >= giveUpMs) throw new GiveUpError(now - downSince, err);
      progress.failed(err, backoff, { downForMs: now - downSince, attempt: ++attempt });
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, 2000);
    }
  }
  for (const [key, chunks] of collected) {
    const p = pending.get(key)!;
    await writeOut(process.stdout, prefixLines(p.prefix, lastLines(Buffer.concat(chunks), lines ?? 10)));
  }
};

/** Whole lines with the source's prefix in front of each. */
const prefixLines = (prefix: string, text: Buffer): Buffer => {
  if (!prefix || text.length === 0) return text;
  const pre = Buffer.from(prefix);
  const parts: Buffer[] = [];
  for (let start = 0; start < text.length;) {
    const nl = text.indexOf(0x0a, start);
    const end = nl < 0 ? text.length : nl + 1;
    parts.push(pre, text.subarray(start, end));
    start = end;
  }
  return Buffer.concat(parts);
};

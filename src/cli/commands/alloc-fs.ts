import type { Command } from 'commander';
import { followFile, resolveAllocId, type AllocFileInfo, type FleetgateClient } from '../../api';
import { humanBytes, isoSeconds, json, table } from '../output/format';
import { bytesForLines, countLines } from '../output/lines';
import { Progress } from '../output/progress';
import { ReconnectProgress } from '../output/reconnect';
import { Sink } from '../output/sink';
import { usage } from '../output/errors';
import {
  action,
  out,
  parseDuration,
  withCommonOptions,
  withTailOptions,
  type CommonOptions,
} from './op-common';

interface FsOptions extends CommonOptions {
  stat?: boolean;
  follow?: boolean;
  tail?: boolean;
  n?: number;
  c?: number;
  giveUp?: string;
}

export const registerAllocFs = (alloc: Command): void => {
  withTailOptions(
    withCommonOptions(
      alloc
        .command('fs')
        .argument('<alloc>', 'allocation ID or unique prefix')
        .argument('[path]', 'path in the allocation directory', '/'),
    ),
    'keep streaming the file as it grows',
  )
    .description("list a directory or print a file of an allocation's directory")
    .option('--stat', 'show file information instead of contents')
    .action(
      action(async (client, opts: FsOptions, prefix: string, path: string) => fs(client, opts, prefix, path)),
    );
};

const fileRows = (files: readonly AllocFileInfo[]): string =>
  table([
    ['Mode', 'Size', 'Modified Time', 'Name'],
    ...files.map((f) => [
      f.FileMode,
      humanBytes(f.Size),
      isoSeconds(f.ModTime),
      f.IsDir ? `${f.Name}/` : f.Name,
    ]),
  ]);

const fs = async (client: FleetgateClient, opts: FsOptions, prefix: string, path: string): Promise<void> => {
  const allocId = await resolveAllocId(client, prefix);
  const info = await client.stat(allocId, path);
  if (opts.stat) return out(opts.json ? json(info) : fileRows([info]));
  if (info.IsDir) {
    if (opts.follow || opts.tail) throw usage(`${path} is a directory: -f and -tail need a file`);
    const list = await client.ls(allocId, path);
    return out(opts.json ? json(list) : fileRows(list));
  }
  const tail = Boolean(opts.tail) || opts.n !== undefined || opts.c !== undefined;
  const lines = tail && opts.c === undefined ? (opts.n ?? 10) : undefined;
  if (opts.follow) {
    const sink = new Sink(false, lines, 300);
    const offset = !tail ? 0 : (opts.c ?? bytesForLines(lines ?? 10));
    const giveUpMs = parseDuration(opts.giveUp ?? process.env['FLEETGATE_FOLLOW_GIVE_UP'] ?? '60s');
    const progress = new ReconnectProgress(giveUpMs, Boolean(opts.verbose));
    const stream = followFile(
      client,
      { allocId, path, origin: tail ? 'end' : 'start', offset },
      {
        heartbeats: true,
        onReconnecting: (err, ms, state) => progress.failed(err, ms, state),
        onResumed: (o) => progress.resumed(o, undefined),
      },
      {
        giveUpMs,
        initialBackoffMs: 200,
        maxBackoffMs: 2000,
        notFoundGraceMs: 5000,
      },
    );
    for await (const item of stream) await sink.item(item);
    return sink.flush();
  }
  if (opts.c !== undefined) return copy(client, allocId, path, Math.max(0, info.Size - opts.c), undefined);
  if (lines !== undefined) return tailLines(client, allocId, path, info.Size, lines);
  return copy(client, allocId, path, 0, info.Size);
};

/** The file (from `offset`) to stdout, streaming, with progress when redirected. */
const copy = async (
  client: FleetgateClient,
  allocId: string,
  path: string,
  offset: number,
  total: number | undefined,
): Promise<void> => {
  // The bulk path (one reused read buffer; docs/performance.md "The bulk path"): node:http's
  // pipeline cost about 3x curl's CPU per GiB, this costs about curl's.
  const { body } = await client.download(allocId, path, offset);
  const progress = new Progress(total);
  await body.copyTo(process.stdout, progress.enabled ? (n) => progress.add(n) : undefined);
  progress.finish();
};

const tailLines = async (
  client: FleetgateClient,
  allocId: string,
  path: string,
  size: number,
  n: number,
): Promise<void> => {
  for (let window = bytesForLines(n); ; window *= 4) {
    const from = Math.max(0, size - window);
    const { res } = await client.readAt(allocId, path, from, size - from);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const buf = Buffer.concat(chunks);
    if (from === 0 || countLines(buf) > n) {
      const sink = new Sink(false, n);
      await sink.item({ kind: 'data', data: buf, file: path, offset: size });
      return sink.flush();
    }
  }
};

import type { Position } from './follow/resume';

/**
 * Frames of the job-wide log stream (`GET /v1/job/:id/logs`): Nomad's StreamFrame plus the
 * source it came from (`AllocID`, `NodeID`, `Task`) and, for events about the source itself
 * rather than its file, a human-readable `Message`; with an explicit `prefix=` also `Prefix`. Keys in byte order of their names, as Nomad
 * writes frames; empty fields omitted. FrameDecoder reads them back.
 */
export interface JobFrame {
  readonly allocId: string;
  readonly nodeId: string;
  readonly task: string;
  readonly data?: Buffer;
  readonly file?: string;
  readonly fileEvent?: string;
  readonly message?: string;
  readonly offset?: number;
  /** The source's rendered line prefix, when the client asked for one (`prefix=`). */
  readonly prefix?: string;
}

/**
 * Source events, sent as `FileEvent` next to Nomad's own `file deleted` / `file truncated`:
 * the node stopped answering (`source down`, with the reason), came back (`source resumed`), some
 * output could not be recovered (`output lost`), a request failed (`source error`), and the
 * allocation's part of the stream is complete (`source ended`).
 */
export type SourceEvent = 'source down' | 'source resumed' | 'output lost' | 'source error' | 'source ended';

export const encodeJobFrame = (f: JobFrame): string => {
  const parts: string[] = [`"AllocID":${JSON.stringify(f.allocId)}`];
  if (f.data && f.data.length > 0) parts.push(`"Data":"${f.data.toString('base64')}"`);
  if (f.file) parts.push(`"File":${JSON.stringify(f.file)}`);
  if (f.fileEvent) parts.push(`"FileEvent":${JSON.stringify(f.fileEvent)}`);
  if (f.message) parts.push(`"Message":${JSON.stringify(f.message)}`);
  parts.push(`"NodeID":${JSON.stringify(f.nodeId)}`);
  if (f.offset) parts.push(`"Offset":${f.offset}`);
  if (f.prefix) parts.push(`"Prefix":${JSON.stringify(f.prefix)}`);
  parts.push(`"Task":${JSON.stringify(f.task)}`);
  return `{${parts.join(',')}}`;
};

/**
 * A data frame as `encodeJobFrame` writes it, built in a Buffer: the base64 text goes straight
 * into the output instead of into a frame string that the response then encodes again.
 */
export const encodeJobDataFrame = (f: JobFrame & { readonly data: Buffer }): Buffer => {
  if (f.data.length === 0) return Buffer.from(encodeJobFrame(f));
  const rest = encodeJobFrame({ ...f, data: undefined });
  // `AllocID` is the first key and `Data` the second: the data goes in right after the id.
  const idEnd = `{"AllocID":${JSON.stringify(f.allocId)}`.length;
  const head = `${rest.slice(0, idEnd)},"Data":"`;
  const tail = `"${rest.slice(idEnd)}`;
  const base64 = f.data.toString('base64');
  const out = Buffer.allocUnsafe(Buffer.byteLength(head) + base64.length + Buffer.byteLength(tail));
  let p = out.write(head);
  p += out.write(base64, p, 'latin1');
  out.write(tail, p);
  return out;
};

/** One source of a job stream: a task of an allocation. */
export const sourceKey = (allocId: string, task: string): string => `${allocId}:${task}`;

/**
 * The `resume` parameter: `<alloc>:<task>:<file>:<offset>,...`, the File and Offset of the last
 * data frame of each source a client received. Task names and log paths contain neither `:` nor
 * `,`, so the list needs no further escaping. Throws on an entry that does not parse.
 */
export const parseResume = (raw: string): Map<string, Position> => {
  const out = new Map<string, Position>();
  if (raw === '') return out;
  for (const entry of raw.split(',')) {
    const m = /^([0-9a-fA-F-]{36}):([^:]+):(alloc\/logs\/[^:/]+):(\d+)$/.exec(entry);
    if (!m)
      throw Object.assign(new Error(`resume: "${entry}" is not <alloc id>:<task>:<file>:<offset>`), {
        entry,
      });
    out.set(sourceKey(m[1]!, m[2]!), { file: m[3]!, offset: Number(m[4]) });
  }
  return out;
};

export const formatResume = (positions: ReadonlyMap<string, Position>): string =>
  [...positions].map(([key, p]) => `${key}:${p.file}:${p.offset}`).join(',');

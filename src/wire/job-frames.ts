/**
 * Frames of the job-wide log stream (`GET /v1/job/:id/logs`): Nomad's StreamFrame plus the
 * source it came from (`AllocID`, `NodeID`, `Task`) and, for events about the source itself
 * rather than its file, a human-readable `Message`. Keys in byte order of their names, as Nomad
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
  parts.push(`"Task":${JSON.stringify(f.task)}`);
  return `{${parts.join(',')}}`;
};

import type { StreamItem } from '../../api';
import { lastLines } from './lines';
import { writeOut } from './write';

/**
 * Where log bytes go: stdout raw, or one JSON object per frame with `-json`. With a line limit
 * it holds data back until the backlog is in (the first heartbeat, `holdMs` after the first
 * data when following — the backlog arrives as one burst — or the end) and then prints only
 * the last lines.
 */
export class Sink {
  private held: Buffer[] | undefined;
  private last: { file: string; offset: number } = { file: '', offset: 0 };
  constructor(
    private readonly asJson: boolean,
    lines: number | undefined,
    private readonly holdMs = Infinity,
  ) {
    this.held = lines === undefined ? undefined : [];
    this.lines = lines ?? 0;
  }
  private readonly lines: number;
  private holdUntil = Infinity;

  collect(item: StreamItem): void {
    if (item.kind === 'data') {
      this.last = { file: item.file, offset: item.offset };
      this.held?.push(item.data);
    }
  }
  buffered(): Buffer {
    return Buffer.concat(this.held ?? []);
  }
  items(): StreamItem[] {
    return [{ kind: 'data', data: this.buffered(), file: this.last.file, offset: this.last.offset }];
  }

  async item(item: StreamItem): Promise<void> {
    if (item.kind === 'heartbeat') return this.flush();
    if (item.kind === 'event') {
      if (this.asJson)
        await writeOut(process.stdout, JSON.stringify({ File: item.file, FileEvent: item.event }) + '\n');
      return;
    }
    if (this.held) {
      if (this.holdUntil === Infinity) this.holdUntil = Date.now() + this.holdMs;
      this.collect(item);
      if (Date.now() >= this.holdUntil) await this.flush();
      return;
    }
    await this.emit(item.data, item.file, item.offset);
  }

  async flush(): Promise<void> {
    if (!this.held) return;
    const data = lastLines(this.buffered(), this.lines);
    this.held = undefined;
    if (data.length > 0) await this.emit(data, this.last.file, this.last.offset);
  }

  private emit(data: Buffer, file: string, offset: number): Promise<void> {
    if (!this.asJson) return writeOut(process.stdout, data);
    return writeOut(
      process.stdout,
      JSON.stringify({ File: file, Offset: offset, Data: data.toString('utf8') }) + '\n',
    );
  }
}

import fs from 'node:fs';
import path from 'node:path';

/** Near the size limit, cut at a newline if one lies within this many bytes of it, so lines are not split (as Nomad's rotator does). */
export const NEWLINE_WINDOW = 32 * 1024;

export interface RotatorOptions {
  dir: string;
  /** `<task>.stdout` or `<task>.stderr`. */
  base: string;
  maxFiles: number;
  maxFileBytes: number;
}

/** Indexes of existing `<base>.<N>` files, ascending. */
export const listIndexes = (dir: string, base: string): number[] =>
  fs
    .readdirSync(dir)
    .filter((n) => n.startsWith(`${base}.`) && /^\d+$/.test(n.slice(base.length + 1)))
    .map((n) => Number(n.slice(base.length + 1)))
    .sort((a, b) => a - b);

/**
 * Nomad-compatible log files (docs/wire.md, "Logs"): `<base>.<N>` counting up, continuing at the highest
 * existing index, cutting near the limit at a newline, keeping at most `maxFiles` (lowest
 * deleted). Writes go straight to the file (no user-space buffer) so followers see a line as
 * soon as the task writes it: the design's follow latency is ≤ 20 ms, Nomad's 100 ms batching
 * would break it.
 */
export class LogRotator {
  private fd = -1;
  private index = 0;
  private size = 0;

  constructor(private readonly o: RotatorOptions) {
    const existing = listIndexes(o.dir, o.base);
    this.index = existing.at(-1) ?? 0;
    this.open();
    // The next index skips files that are already full.
    while (this.size >= o.maxFileBytes) this.rotate();
  }

  get currentIndex(): number {
    return this.index;
  }

  write(chunk: Buffer): void {
    let rest = chunk;
    while (rest.length > 0) {
      const room = this.o.maxFileBytes - this.size;
      if (rest.length <= room) {
        this.append(rest);
        return;
      }
      const nl = rest.subarray(0, room).lastIndexOf(0x0a);
      if (nl >= 0 && room - (nl + 1) <= NEWLINE_WINDOW) {
        // Cut after the last newline that fits: lines are not split.
        this.append(rest.subarray(0, nl + 1));
        rest = rest.subarray(nl + 1);
      } else if (room <= NEWLINE_WINDOW && this.size > 0) {
        // Near the limit and the next line does not fit: it goes whole into the next file.
      } else {
        // A line longer than the window: split it at the limit.
        this.append(rest.subarray(0, room));
        rest = rest.subarray(room);
      }
      this.rotate();
    }
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  private fileOf(index: number): string {
    return path.join(this.o.dir, `${this.o.base}.${index}`);
  }

  private open(): void {
    this.fd = fs.openSync(this.fileOf(this.index), 'a', 0o644);
    this.size = fs.fstatSync(this.fd).size;
  }

  private append(buf: Buffer): void {
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.fd, buf, off, buf.length - off);
    this.size += buf.length;
  }

  private rotate(): void {
    this.close();
    this.index += 1;
    this.open();
    this.purge();
  }

  /** Keep the newest `maxFiles` files. */
  private purge(): void {
    const indexes = listIndexes(this.o.dir, this.o.base);
    for (const i of indexes.slice(0, Math.max(0, indexes.length - this.o.maxFiles))) {
      fs.rmSync(this.fileOf(i), { force: true });
    }
  }
}

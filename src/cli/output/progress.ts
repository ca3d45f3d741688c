import { humanBytes } from './format';

/**
 * Bytes and rate on stderr for long transfers to a redirected stdout (`alloc fs ... > file`):
 * shown only when stderr is a terminal and stdout is not, so scripts and pipes see nothing.
 */
export class Progress {
  private done = 0;
  private last = 0;
  private readonly started = Date.now();
  readonly enabled: boolean;

  constructor(
    private readonly total: number | undefined,
    private readonly err: NodeJS.WriteStream = process.stderr,
    enabled = Boolean(process.stderr.isTTY) && !process.stdout.isTTY,
    private readonly everyMs = 200,
  ) {
    this.enabled = enabled;
  }

  add(n: number): void {
    this.done += n;
    const now = Date.now();
    if (this.enabled && now - this.last >= this.everyMs) {
      this.last = now;
      this.err.write(`\r${this.line(now)}\x1b[K`);
    }
  }

  finish(): void {
    if (this.enabled) this.err.write(`\r${this.line(Date.now())}\x1b[K\n`);
  }

  line(now: number): string {
    const secs = Math.max((now - this.started) / 1000, 0.001);
    const of = this.total
      ? ` / ${humanBytes(this.total)} (${Math.floor((this.done / this.total) * 100)}%)`
      : '';
    return `${humanBytes(this.done)}${of}  ${humanBytes(this.done / secs)}/s`;
  }
}

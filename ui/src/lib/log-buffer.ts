import { stripAnsi } from './ansi';

/**
 * The lines a log page holds: at most `max` complete lines (older ones are dropped in batches,
 * so memory stays bounded however long a page follows a chatty task), plus the partial line
 * still being written. Every line has a sequence number that never changes, so the view, the
 * search results and the "new since" markers survive the oldest lines being dropped.
 *
 * Search is case-insensitive on the text without colour codes; its results are kept up to date
 * incrementally as lines arrive, so filtering while following costs only the new lines.
 */
export class LogBuffer {
  private lines: string[] = [];
  /** Sequence number of lines[0]. */
  private base = 0;
  private partial = '';
  private query = '';
  /** Sequence numbers of the matching complete lines, ascending. */
  private matches: number[] = [];
  /** Lines dropped from the front since the page opened. */
  dropped = 0;

  constructor(readonly max = 20_000) {}

  /** Appends decoded text; returns how many complete lines it added. */
  append(text: string): number {
    if (!text) return 0;
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    if (parts.length === 0) return 0;
    const first = this.base + this.lines.length;
    for (let i = 0; i < parts.length; i++) {
      let line = parts[i]!;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      this.lines.push(line);
      if (this.query && this.test(line)) this.matches.push(first + i);
    }
    this.trim();
    return parts.length;
  }

  /** Drops everything (a new task or stream type). */
  clear(): void {
    this.base += this.lines.length;
    this.lines = [];
    this.partial = '';
    this.matches = [];
    this.dropped = 0;
  }

  private trim(): void {
    // Drop in batches of a tenth, so a full buffer does not shift its array on every line.
    if (this.lines.length <= this.max) return;
    const n = this.lines.length - this.max + Math.floor(this.max / 10);
    this.lines.splice(0, n);
    this.base += n;
    this.dropped += n;
    let k = 0;
    while (k < this.matches.length && this.matches[k]! < this.base) k++;
    if (k > 0) this.matches.splice(0, k);
  }

  private test(line: string): boolean {
    return stripAnsi(line).toLowerCase().includes(this.query);
  }

  setQuery(q: string): void {
    const query = q.toLowerCase();
    if (query === this.query) return;
    this.query = query;
    this.matches = [];
    if (!query) return;
    for (let i = 0; i < this.lines.length; i++)
      if (this.test(this.lines[i]!)) this.matches.push(this.base + i);
  }

  /** Complete lines held (or matching, when `filtered`), plus the partial line if any. */
  count(filtered: boolean): number {
    const extra = this.partial && (!filtered || this.test(this.partial)) ? 1 : 0;
    return (filtered && this.query ? this.matches.length : this.lines.length) + extra;
  }

  /** The i-th visible line (0-based) with its sequence number. */
  at(i: number, filtered: boolean): { seq: number; text: string; partial: boolean } | undefined {
    const complete = filtered && this.query ? this.matches.length : this.lines.length;
    if (i === complete && this.partial && (!(filtered && this.query) || this.test(this.partial))) {
      return { seq: this.base + this.lines.length, text: this.partial, partial: true };
    }
    const seq = filtered && this.query ? this.matches[i] : this.base + i;
    if (seq === undefined) return undefined;
    const text = this.lines[seq - this.base];
    return text === undefined ? undefined : { seq, text, partial: false };
  }

  matchCount(): number {
    return this.matches.length;
  }

  /** The text of the visible lines, colour codes removed (for Copy). */
  text(filtered: boolean): string {
    const out: string[] = [];
    const n = this.count(filtered);
    for (let i = 0; i < n; i++) out.push(stripAnsi(this.at(i, filtered)!.text));
    return out.join('\n');
  }
}

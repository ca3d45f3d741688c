import type { DownState, Opened, Position } from '../../api';

const secs = (ms: number): string => `${Math.round(ms / 1000)} s`;

/**
 * What `-f` says on stderr while its stream is down: the loss at once, then at least one line
 * every `everyMs` with how long it has been down, the attempt and the latest reason, so a long
 * outage never looks like a hang; `verbose` reports every attempt.
 */
export class ReconnectProgress {
  private lastSaid = 0;

  constructor(
    private readonly giveUpMs: number,
    private readonly verbose: boolean,
    private readonly err: NodeJS.WritableStream = process.stderr,
    private readonly everyMs = 5000,
  ) {}

  failed(err: unknown, delayMs: number, s: DownState): void {
    const why = err instanceof Error ? err.message : String(err);
    if (s.attempt === 1) return this.say(`stream lost (${why}); reconnecting in ${delayMs} ms`);
    if (!this.verbose && Date.now() - this.lastSaid < this.everyMs) return;
    this.say(
      `still reconnecting: down ${secs(s.downForMs)}, attempt ${s.attempt} (${why}); next try in ${delayMs} ms, giving up after ${secs(this.giveUpMs)} down`,
    );
  }

  resumed(o: Opened, pos: Position | undefined): void {
    this.say(`resumed via ${o.via} ${o.base}${pos ? ` at ${pos.file}:${pos.offset}` : ''}`);
  }

  private say(line: string): void {
    this.lastSaid = Date.now();
    this.err.write(`fleetgate: ${line}\n`);
  }
}

import {
  logResumePoint,
  tailPosition,
  type Check,
  type LogFile,
  type Position,
} from '../../../src/wire/follow/resume';
import { routePath } from '../../../src/wire/routes';
import { ApiError, call, enc } from '../api/http';
import { routeNeed } from '../api/needs';
import type { AllocFileInfo } from '../api/types';
import { FrameScanner } from '../lib/frames';
import { sleep } from '../lib/sleep';

export type FollowState = 'connecting' | 'following' | 'paused' | 'reconnecting' | 'failed';

export interface FollowerHooks {
  /** Decoded text, in order, each byte exactly once. */
  onText(text: string): void;
  onState(state: FollowState, detail?: string): void;
  /** Something the reader should know (output lost while disconnected, a file event). */
  onNotice(message: string): void;
  /** A final error: the first connection failed (a 403, an unknown task…). */
  onError(err: unknown): void;
}

export interface LogTarget {
  allocId: string;
  namespace: string;
  task: string;
  type: 'stdout' | 'stderr';
}

class ResumeMismatch extends Error {}

/**
 * Follows one task's stdout or stderr through the gateway, as `fleetgate alloc logs -f` does
 * (src/wire/follow/follow.ts, whose Node streams a browser cannot use): it remembers the File and Offset
 * of the last data frame and, after a pause or a dropped connection, asks for the log walk at
 * exactly that point (src/wire/follow/resume.ts computes it from a listing of alloc/logs), trimming any
 * bytes it already had. So pause/resume and reconnects neither lose nor repeat a line.
 */
export class LogFollower {
  private pos: Position | undefined;
  private tailStart: Position | undefined;
  private tailDone = false;
  private connectedOnce = false;
  private ctl: AbortController | undefined;
  /** One decoder for the whole stream: a character split across frames or reconnects survives. */
  private readonly utf8 = new TextDecoder();
  private readonly base: string;

  constructor(
    private readonly target: LogTarget,
    private readonly hooks: FollowerHooks,
    /** How much of the existing log to show first. */
    private readonly tailBytes = 64 * 1024,
  ) {
    this.base = `${target.task}.${target.type}.`;
  }

  get running(): boolean {
    return this.ctl !== undefined;
  }

  start(): void {
    if (this.ctl) return;
    const ctl = new AbortController();
    this.ctl = ctl;
    void this.run(ctl.signal);
  }

  /** Stops reading (the connection is closed, so a paused page costs the node nothing). */
  pause(): void {
    this.ctl?.abort();
    this.ctl = undefined;
    this.hooks.onState('paused');
  }

  stop(): void {
    this.ctl?.abort();
    this.ctl = undefined;
  }

  private async list(signal: AbortSignal): Promise<LogFile[] | undefined> {
    try {
      const entries = await (
        await call(`${routePath('fs.ls', this.target.allocId)}?path=alloc/logs`, {
          signal,
          need: routeNeed('fs.ls', this.target.namespace),
        })
      ).json();
      const out: LogFile[] = [];
      for (const e of entries as AllocFileInfo[]) {
        const rest = e.Name.startsWith(this.base) ? e.Name.slice(this.base.length) : '';
        if (!e.IsDir && /^\d+$/.test(rest)) out.push({ index: Number(rest), size: e.Size });
      }
      return out;
    } catch (err) {
      // Listing needs read-fs; a read-logs token can still follow, without exact resume.
      if (err instanceof ApiError && err.status === 403) return undefined;
      throw err;
    }
  }

  private async open(signal: AbortSignal): Promise<{ res: Response; check?: Check }> {
    const t = this.target;
    const url = (origin: 'start' | 'end', offset: number) =>
      `${routePath('fs.logs', t.allocId)}?task=${enc(t.task)}&type=${t.type}&follow=true&origin=${origin}&offset=${offset}`;
    const need = routeNeed('fs.logs', t.namespace);
    if (!this.tailDone) {
      const files = await this.list(signal);
      this.tailStart = files && tailPosition(files, this.base, this.tailBytes);
      this.tailDone = true;
      if (!files) return { res: await call(url('end', this.tailBytes), { signal, need }) };
      if (!this.tailStart) return { res: await call(url('start', 0), { signal, need }) };
    }
    const pos = this.pos ?? this.tailStart;
    if (!pos) return { res: await call(url('end', 0), { signal, need }) };
    const files = await this.list(signal);
    if (!files) {
      this.hooks.onNotice('This token cannot list alloc/logs (read-fs): resumed at the current end.');
      return { res: await call(url('end', 0), { signal, need }) };
    }
    const point = logResumePoint(files, this.base, pos);
    if (point.lost) this.hooks.onNotice(`${pos.file} was rotated away meanwhile: some output is missing.`);
    return { res: await call(url('start', point.offset), { signal, need }), check: point.check };
  }

  private async consume(res: Response, check: Check | undefined, signal: AbortSignal): Promise<void> {
    if (!res.body) throw new Error('the gateway sent no body');
    const reader = res.body.getReader();
    const text = new TextDecoder();
    const scanner = new FrameScanner();
    let pending = check;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const f of scanner.push(text.decode(value, { stream: true }))) {
          if (f.heartbeat) continue;
          if (f.fileEvent) this.hooks.onNotice(`${f.file}: ${f.fileEvent}`);
          if (f.data.length === 0) continue;
          let data = f.data;
          if (pending) {
            const verdict = pending(f.file, f.offset - data.length);
            if (!verdict.ok) throw new ResumeMismatch(verdict.why);
            data = data.subarray(verdict.skip);
            pending = undefined;
          }
          this.pos = { file: f.file, offset: f.offset };
          if (data.length > 0) this.hooks.onText(this.utf8.decode(data, { stream: true }));
        }
      }
    } finally {
      if (signal.aborted) void reader.cancel().catch(() => undefined);
    }
    const trailer = scanner.trailer().trim();
    if (trailer) throw new Error(trailer);
  }

  private async run(signal: AbortSignal): Promise<void> {
    let backoff = 250;
    this.hooks.onState(this.connectedOnce ? 'reconnecting' : 'connecting');
    while (!signal.aborted) {
      try {
        const { res, check } = await this.open(signal);
        this.connectedOnce = true;
        backoff = 250;
        this.hooks.onState('following');
        await this.consume(res, check, signal);
        if (signal.aborted) return;
        throw new Error('the stream was closed');
      } catch (err) {
        if (signal.aborted) return;
        const final = err instanceof ApiError && (err.status === 400 || err.status === 403);
        if (!this.connectedOnce || final) {
          this.ctl = undefined;
          this.hooks.onState('failed');
          this.hooks.onError(err);
          return;
        }
        this.hooks.onState('reconnecting', (err as Error).message);
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }
}

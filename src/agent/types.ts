import type { Request, Response } from 'express';
import type { AllocManifest, RouteId } from '../wire';

/** An allocation this agent hosts, as the fs/logs/stats handlers see it. */
export interface LocalAlloc {
  readonly manifest: AllocManifest;
  /** Absolute, realpath-resolved allocation directory `<data-dir>/alloc/<id>`. */
  readonly dir: string;
  /** Whether the task has started (has logs to serve): false while the alloc is `pending`. */
  taskStarted(task: string): boolean;
}

/** What every agent handler gets besides req/res. */
export interface AgentRequestContext {
  /**
   * Look the allocation up and check this route's capability in its namespace. Throws
   * HttpError: 404 `Unknown allocation "<id>"`, 403 `Permission denied`. Handlers call it
   * after validating their parameters, so parameter errors come first (spec §5).
   */
  resolveAlloc(allocId: string): Promise<LocalAlloc>;
  /** A follower quota slot for this response until it closes; throws 429 over a limit. */
  holdFollower(alloc: LocalAlloc): void;
  /** Check this route's node capability (node-addressed routes). */
  authorizeNode(): Promise<void>;
  /** Aborted when the client goes away: stop readers, watchers and timers at once. */
  readonly signal: AbortSignal;
}

export type AgentHandler = (req: Request, res: Response, ctx: AgentRequestContext) => Promise<void>;
export type AgentHandlers = Record<RouteId, AgentHandler>;

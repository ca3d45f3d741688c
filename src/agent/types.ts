import type { IncomingMessage as Request, ServerResponse as Response } from 'node:http';
import type { AllocManifest, AllocRouteId, BodyOf, ParamsOf, RouteId } from '../wire';

/** An allocation this agent hosts, as the fs/logs/stats handlers see it. */
export interface LocalAlloc {
  readonly manifest: AllocManifest;
  /** Absolute, realpath-resolved allocation directory `<data-dir>/alloc/<id>`. */
  readonly dir: string;
  /** Whether the task has started (has logs to serve): false while the alloc is `pending`. */
  taskStarted(task: string): boolean;
}

/**
 * What a handler gets besides req/res: the request as the kernel checked it (parameters parsed,
 * token verified, allocation resolved, capability granted). A handler only does the work.
 */
export interface AgentCall<K extends RouteId> {
  readonly params: ParamsOf<K>;
  readonly body: BodyOf<K>;
  /** The allocation of an alloc row. */
  readonly alloc: K extends AllocRouteId ? LocalAlloc : undefined;
  /** Aborted when the client goes away: stop readers, watchers and timers at once. */
  readonly signal: AbortSignal;
  /** A follower quota slot for this response until it closes; throws 429 over a limit. */
  holdFollower(): void;
}

export type AgentHandler<K extends RouteId> = (
  req: Request,
  res: Response,
  call: AgentCall<K>,
) => Promise<void>;
export type AgentHandlers = { readonly [K in RouteId]: AgentHandler<K> };

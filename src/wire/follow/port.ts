import type http from 'node:http';
import type { AllocFileInfo } from '../types';
import type { Via } from './errors';

export type LogType = 'stdout' | 'stderr';
export type Origin = 'start' | 'end';

/** The parameters of `/v1/client/fs/logs`. */
export interface LogsQuery {
  task: string;
  type: LogType;
  follow: boolean;
  origin?: Origin;
  offset?: number;
  plain?: boolean;
}

/** The parameters of `/v1/client/fs/stream`. */
export interface StreamQuery {
  path: string;
  follow: boolean;
  origin?: Origin;
  offset?: number;
}

/** An open 2xx response and where it came from (for messages and reconnect reports). */
export interface Opened {
  res: http.IncomingMessage;
  via: Via;
  base: string;
}

/**
 * What a follower needs from whoever reaches the node agents: the CLI's typed client (direct to
 * the node, gateway as fallback) and the gateway's job-wide log stream (straight to the agent)
 * both provide it, so both resume through the same code. Non-2xx answers reject with ApiError.
 */
export interface LogsPort {
  ls(allocId: string, path: string, signal?: AbortSignal): Promise<AllocFileInfo[]>;
  logs(allocId: string, q: LogsQuery, signal?: AbortSignal): Promise<Opened>;
}

export interface StreamPort {
  stream(allocId: string, q: StreamQuery, signal?: AbortSignal): Promise<Opened>;
}

import type { Logger } from 'pino';
import type { Authenticator } from '../acl/types';
import type { NodeId } from '../wire';
import type { GarbageCollector } from './gc/collector';
import type { ManifestStore } from './manifests/store';
import type { MetaStore } from './meta/store';
import type { FollowerQuota } from './quota/followers';
import type { AllocStatsCollector } from './stats/alloc';
import type { HostStatsCollector } from './stats/host';
import type { TaskRunner } from './runner/runner';
import type { AgentHandlers } from './types';

/** Who this agent is, as `/v1/agent/self` and the registry show it. */
export interface NodeIdentity {
  readonly id: NodeId;
  readonly name: string;
  readonly datacenter: string;
  readonly version: string;
  /** `host:port` actually listened on (known after listen, hence a function). */
  httpAddr(): string;
  /** Base URL the gateway forwards to. */
  advertiseUrl(): string;
}

/** Everything `createAgentApp` needs; `startAgent` builds these, tests may build their own. */
export interface AgentAppDeps {
  readonly node: NodeIdentity;
  /** Absolute, realpath-resolved data directory. */
  readonly dataDir: string;
  readonly authenticator: Authenticator;
  readonly manifests: ManifestStore;
  readonly meta: MetaStore;
  readonly hostStats: HostStatsCollector;
  readonly allocStats: AllocStatsCollector;
  readonly runner: TaskRunner;
  readonly gc: GarbageCollector;
  readonly logger: Logger;
  /** Bounds concurrent follow streams (absent: unlimited). */
  readonly followers?: FollowerQuota;
  /** Replace individual handlers (e.g. the fs handlers in a test). */
  readonly handlerOverrides?: Partial<AgentHandlers>;
}

/** Every default in one place, so a default is changed once and read the same by every role. */
export const DEFAULTS = {
  httpAddr: '127.0.0.1:4646',
  datacenter: 'dc1',
  registryPrefix: 'fleetgate:',
  /** Agents heartbeat this often; the registry marks a node down after `heartbeatTtlFactor` misses. */
  heartbeatIntervalMs: 5000,
  heartbeatTtlFactor: 3,
  /** Gateway → agent TCP connect timeout: a dead node answers 503 fast instead of hanging. */
  connectTimeoutMs: 2000,
  /** Idle timeout for non-streaming forwarded requests. */
  idleTimeoutMs: 30000,
  /** Both roles: the request line and headers must arrive within this (slow-header clients). */
  headersTimeoutMs: 10000,
  /** Both roles: the whole request, body included, must arrive within this; responses are not limited. */
  requestTimeoutMs: 30000,
  /** Longer than typical load-balancer idle limits, so a proxy in front never reuses a closed socket. */
  keepAliveTimeoutMs: 65000,
  /** `fs/ls` answers at most this many entries (400 beyond): one request cannot make an agent stat a million files. */
  lsMaxEntries: 10000,
  /** Manifest directory scan period: a manifest written by another program is adopted within 1 s. */
  manifestScanMs: 500,
  jwtIssuer: 'fleetgate',
  jwtAudience: 'fleetgate',
  jwtClockToleranceSec: 30,
  /** Graceful stop: SIGTERM, then SIGKILL after this long. */
  killTimeoutMs: 5000,
  logMaxFiles: 10,
  logMaxFileSizeMb: 10,
  cacheMaxEntries: 10000,
  /** Longest an ACL answer (policy, revocation) is cached behind pub/sub at any role. */
  aclCacheMaxAgeMs: 10_000,
  /**
   * Stream quotas (0 = unlimited). Gateway: concurrent streaming requests per token accessor,
   * for anonymous callers (and everyone when ACLs are off), and in total. Agent: concurrent
   * followers (follow=true streams, each a descriptor and a watcher) in total and per allocation.
   */
  maxStreamsPerToken: 256,
  maxStreamsAnonymous: 64,
  maxStreamsTotal: 10000,
  maxFollowersTotal: 4096,
  maxFollowersPerAlloc: 256,
  /** A followed job stream ends this long after its last allocation ended, if no new one appears. */
  jobLogsGraceMs: 5000,
  /** An agent that hears from no gateway this long serves management tokens only. */
  aclMaxStaleMs: 30_000,
} as const;

import type tls from 'node:tls';
import type { Router } from 'express';
import type { AssertionSigner } from '../acl/assertion';
import type { Authenticator } from '../acl/types';
import type { Forwarder } from '../forward/forwarder';
import type { Logger } from '../log/logger';
import type { Metrics } from '../log/metrics';
import type { Registry } from '../registry/registry';
import type { StreamQuota } from './stream-quota';

/** Everything the gateway app needs; cli builds and hands these in (dependency direction). */
export interface GatewayDeps {
  /** Usually a CachedRegistry over Redis (or a MemoryRegistry in `fleetgate dev`). */
  registry: Registry;
  /**
   * How requests reach every node: `fleetgate gateway` passes a RemoteForwarder (HTTP to the
   * node's advertised address), `fleetgate dev` a LocalForwarder into its embedded agent's app.
   */
  forwarder: Forwarder;
  authenticator: Authenticator;
  logger: Logger;
  metrics?: Metrics;
  /** Bounds concurrent streaming requests (absent: unlimited). */
  streamQuota?: StreamQuota;
  /** Job-wide log stream settings (`GET /v1/job/:id/logs`). */
  jobLogs?: { graceMs: number };
  /**
   * TLS towards https:// agents for requests the gateway makes itself (the job-wide stream): the
   * same CA, client certificate and name check the forwarder uses. A function, so a SIGHUP
   * reload reaches the next request.
   */
  agentTls?: () => tls.ConnectionOptions;
  /** The ACL HTTP API (`createAclApi` from src/router/acl-api.ts), mounted at the root. */
  aclApi?: Router;
  /**
   * Signs the node assertions forwarded requests carry instead of the caller's token (ACLs on,
   * remote agents). Absent: the caller's token goes to the agent (ACLs off, `fleetgate dev`).
   */
  assertions?: AssertionSigner;
  /** The node API (`createNodeApi` from src/router/node-api.ts); absent in `fleetgate dev`. */
  nodeApi?: Router;
}

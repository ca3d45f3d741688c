import { Router, type Request, type Response } from 'express';
import { authorize } from '../../acl/authorize';
import { tokenFromHeaders } from '../../acl/token-header';
import { DEFAULTS } from '../../config/defaults';
import { errors } from '../../errors';
import { authorizeAudited } from '../../http/audit';
import { tally } from '../../http/count';
import { bindRequestLog } from '../../log/http';
import type { RouteCapability } from '../../wire';
import type { RetryPolicy } from '../../wire/follow';
import type { GatewayDeps } from '../deps';
import { AgentLogsPort } from './agent-port';
import { runJobStream } from './job-stream';
import { JobStreamOutput } from './output';
import { parseJobLogs } from './params';

export const JOB_LOGS_PATH = '/v1/job/:job_id/logs';

const READ_LOGS_CAP = 'read-logs';
const READ_LOGS: RouteCapability = { kind: 'namespace', anyOf: [READ_LOGS_CAP] };

/** A node may stay away this long before its sources give up (and say so in-band). */
const SOURCE_RETRY: RetryPolicy = {
  giveUpMs: 5 * 60_000,
  initialBackoffMs: 200,
  maxBackoffMs: 2_000,
  notFoundGraceMs: 5_000,
};

/**
 * `GET /v1/job/:job_id/logs`: the logs of every allocation of a job in one stream (see README
 * "Job-wide logs"). Checks in order: parameters (400), token (403), `read-logs` in the job's
 * namespace (403, before anything about the job is revealed), the job's allocations (404), the
 * stream quota (429). Then the stream starts and problems of single sources are reported in-band.
 */
export const jobLogsRoute = (deps: GatewayDeps): Router => {
  const r = Router({ strict: true, caseSensitive: true });
  r.get(JOB_LOGS_PATH, async (req: Request, res: Response) => {
    const t = tally(res);
    const metrics = deps.metrics;
    if (metrics) {
      const done = metrics.startRequest('job.logs', true);
      t.onClose((o) => {
        metrics.bytes(o.bytes);
        done(o.status);
      });
    }
    bindRequestLog(req, { route: 'job.logs' });
    const params = parseJobLogs(req);
    const token = tokenFromHeaders(req.headers);
    const identity = await deps.authenticator.authenticate(token);
    bindRequestLog(req, { accessor: identity.accessorId, job: params.jobId });
    if (deps.authenticator.enabled)
      authorizeAudited(
        deps.logger,
        identity,
        { capability: READ_LOGS, path: req.path, namespace: params.namespace },
        t,
      );
    else authorize(identity, READ_LOGS, params.namespace);
    const initial = (await deps.registry.listAllocs({ namespace: params.namespace })).filter(
      (a) => a.JobID === params.jobId,
    );
    if (initial.length === 0) throw errors.jobHasNoAllocs(params.jobId, params.namespace);
    deps.streamQuota?.admit(identity, res);

    const ac = new AbortController();
    res.once('close', () => ac.abort());
    const output = new JobStreamOutput(res, params.plain ? 'plain' : 'json');
    output.start();
    try {
      await runJobStream({
        registry: deps.registry,
        port: new AgentLogsPort(
          deps.registry,
          // The caller's token stays here when the gateway signs node assertions; an assertion
          // grants only what the caller holds (a caller without read-fs gets its ls refused, as
          // its own token would have been).
          (alloc, capability) =>
            deps.assertions
              ? deps.assertions.sign(alloc.NodeID, identity.accessorId, {
                  kind: 'namespace',
                  capability: identity.acl.allowNamespaceOp(alloc.Namespace, capability)
                    ? capability
                    : READ_LOGS_CAP,
                  namespace: alloc.Namespace,
                })
              : token,
          DEFAULTS.connectTimeoutMs,
          deps.agentTls?.() ?? {},
        ),
        params,
        output,
        initial,
        graceMs: deps.jobLogs?.graceMs ?? DEFAULTS.jobLogsGraceMs,
        retry: SOURCE_RETRY,
        signal: ac.signal,
      });
    } finally {
      output.end();
    }
  });
  // Another method on a known path is 405, as on the client rows (Express answers HEAD with the
  // GET handler above).
  r.all(JOB_LOGS_PATH, () => {
    throw errors.invalidMethod();
  });
  return r;
};

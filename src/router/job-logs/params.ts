import type { Request } from 'express';
import { errors } from '../../errors';
import { parseResume } from '../../wire/job-frames';
import type { LogType, Origin, Position } from '../../wire/follow';
import { parseGoBool, parseGoInt } from '../../wire/go-parse';

export interface JobLogsParams {
  readonly jobId: string;
  readonly namespace: string;
  /** Only this task of each allocation (and only allocations that have it); all tasks when absent. */
  readonly task?: string;
  readonly type: LogType;
  readonly follow: boolean;
  readonly origin: Origin;
  readonly offset: number;
  readonly plain: boolean;
  /** The line prefix template; undefined = no prefix (`prefix=false`). */
  readonly prefix: string | undefined;
  /** `prefix` was given: framed frames carry the rendered prefix too. */
  readonly prefixGiven: boolean;
  /** Where an earlier stream got to, per `<alloc>:<task>` (a client reconnecting). */
  readonly resume: ReadonlyMap<string, Position>;
}

/** `[web.0 a1b2c3d4] `, plus the task when an allocation contributes more than one. */
export const DEFAULT_PREFIX = '[{group}.{index} {alloc}] ';
export const DEFAULT_PREFIX_MULTI_TASK = '[{group}.{index} {alloc} {task}] ';

const q = (req: Request, name: string): string => {
  const v = req.query[name];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' ? first : '';
};

const GO_BOOLS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Parameters in the order the fs/logs route checks its own, each refused with a 400. */
export const parseJobLogs = (req: Request): JobLogsParams => {
  const jobId = String(req.params['job_id'] ?? '');
  if (jobId === '') throw errors.missingJobId();
  const namespace = q(req, 'namespace') || 'default';
  if (namespace.includes('*')) throw errors.wildcardNamespace();
  const task = q(req, 'task');
  const rawType = q(req, 'type') || 'stdout';
  if (rawType !== 'stdout' && rawType !== 'stderr') throw errors.missingLogType();
  const follow = parseGoBool('follow', q(req, 'follow'), false);
  const plain = parseGoBool('plain', q(req, 'plain'), false);
  const offset = parseGoInt('offset', q(req, 'offset'));
  if (offset < 0) throw errors.negativeOffsetParam();
  const rawOrigin = q(req, 'origin') || 'start';
  if (rawOrigin !== 'start' && rawOrigin !== 'end') throw errors.badOrigin();
  const rawPrefix = q(req, 'prefix');
  const prefix =
    rawPrefix === '' || (GO_BOOLS.has(rawPrefix) && parseGoBool('prefix', rawPrefix, true))
      ? DEFAULT_PREFIX
      : GO_BOOLS.has(rawPrefix)
        ? undefined
        : rawPrefix;
  let resume: Map<string, Position>;
  try {
    resume = parseResume(q(req, 'resume'));
  } catch (e) {
    throw errors.badResume((e as { entry?: string }).entry ?? '');
  }
  if (resume.size > 0 && !follow) throw errors.resumeNeedsFollow();
  return {
    jobId,
    namespace,
    ...(task ? { task } : {}),
    type: rawType,
    follow,
    origin: rawOrigin,
    offset,
    plain,
    prefix,
    prefixGiven: rawPrefix !== '',
    resume,
  };
};

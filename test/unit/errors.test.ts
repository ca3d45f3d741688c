import { errors, ERROR_CODES, isHttpError, type ErrorCode } from '../../src/errors';

/**
 * Every wire error pinned: its status and its exact text for sample arguments. Clients match on
 * these texts, so a change here is a wire change; a new catalog entry fails this test until it
 * is pinned too.
 */
const PINS: Record<ErrorCode, [args: unknown[], status: number, message: string]> = {
  notFound: [[], 404, 'resource not found'],
  invalidMethod: [[], 405, 'Invalid method'],
  unknownFsOperation: [[], 404, 'Invalid method'],
  badUrlEscape: [[], 400, 'invalid URL escape in request path'],
  missingAllocId: [[], 400, 'must provide a valid alloc id'],
  missingFileName: [[], 400, 'must provide a file name'],
  missingTaskName: [[], 400, 'must provide task name'],
  missingLogType: [[], 400, 'must provide log type (stdout/stderr)'],
  badOrigin: [[], 400, 'origin must be start or end'],
  badBool: [
    ['follow', 'yes'],
    400,
    'failed to parse follow field to boolean: strconv.ParseBool: parsing "yes": invalid syntax',
  ],
  badInt: [['offset', 'x'], 400, 'error parsing offset: strconv.ParseInt: parsing "x": invalid syntax'],
  badAllocIdShape: [['abc'], 400, 'alloc lookup failed: index error: UUID must be 36 characters'],
  badNodeIdShape: [[], 400, 'node lookup failed: index error: UUID must be 36 characters'],
  noNodeId: [[], 400, 'No local Node and node_id not provided'],
  emptyBody: [[], 400, 'Request body is empty'],
  badWait: [[], 400, 'Invalid wait time'],
  badIndex: [[], 400, 'Invalid index'],
  missingJobId: [[], 400, 'missing job ID'],
  wildcardNamespace: [[], 400, 'namespace must name one namespace, not a wildcard'],
  negativeOffsetParam: [[], 400, 'offset must not be negative'],
  badResume: [['x'], 400, 'resume: "x" is not <alloc id>:<task>:<file>:<offset>'],
  resumeNeedsFollow: [[], 400, 'resume needs follow=true'],
  jobHasNoAllocs: [['web', 'default'], 404, 'job "web" has no allocations in namespace "default"'],
  aclStateStale: [
    ['no gateway heard for 31 s'],
    503,
    'ACL state is stale: no gateway heard for 31 s; only management tokens are served until a gateway answers',
  ],
  nodeRejoinRequired: [['n1'], 410, 'node n1 is not known to the registry: register again with a join token'],
  nodeIdMismatch: [[], 400, 'Node.ID does not match the node ID in the path'],
  tooManyEntries: [
    ['alloc/data', 10000],
    400,
    'directory "alloc/data" has more than 10000 entries; list a subdirectory instead',
  ],
  tooManyStreams: [
    ['token acc-1', 'per_token', 8],
    429,
    'Too many concurrent streams: token acc-1 limit per_token=8 reached; close a stream or retry later',
  ],
  malformedFraming: [
    ['two Content-Length headers'],
    400,
    'malformed request framing: two Content-Length headers',
  ],
  bodyNotAllowed: [[], 400, 'this endpoint takes no request body'],
  bodyTooLarge: [[], 413, 'request body: request entity too large'],
  bodyUnreadable: [['aborted'], 400, 'request body: aborted'],
  badJsonBody: [['Unexpected token'], 400, 'invalid JSON body: Unexpected token'],
  badBodyField: [['Meta', 'expected record'], 400, 'invalid request body: Meta: expected record'],
  unknownAlloc: [['A'], 404, 'Unknown allocation "A"'],
  allocNotOnClient: [['A'], 404, 'state for allocation A not found on client'],
  unknownNode: [['N'], 404, 'Unknown node N'],
  nodeNotFound: [[], 404, 'node not found'],
  allocNotFound: [[], 404, 'alloc not found'],
  noPathToNode: [['gone'], 503, 'No path to node: gone'],
  registryUnavailable: [
    ['ECONNREFUSED'],
    503,
    'registry unavailable: ECONNREFUSED; check that Redis is reachable from the gateway',
  ],
  permissionDenied: [[], 403, 'Permission denied'],
  tokenExpired: [[], 403, 'ACL token expired'],
  tokenNotFound: [[], 403, 'ACL token not found'],
  aclDisabled: [[], 400, 'ACL support disabled'],
  noSigningKey: [[], 400, 'this server cannot issue ACL tokens (it has no signing key)'],
  bootstrapDone: [[], 400, 'ACL bootstrap already done'],
  policyNotFound: [[], 404, 'ACL policy not found'],
  badPolicyName: [['x y', '^[a-z]+$'], 400, 'invalid policy name "x y": must match ^[a-z]+$'],
  policyNameMismatch: [[], 400, 'ACL policy name does not match request path'],
  badRules: [['bad'], 400, 'failed to parse rules: bad'],
  badAclBody: [['Type: bad'], 400, 'Type: bad'],
  aclDecodeFailed: [['Unexpected end'], 400, 'Request decode failed: Unexpected end'],
  badTtl: [['time: invalid duration "x"'], 400, 'ExpirationTTL: time: invalid duration "x"'],
  negativeTtl: [[], 400, 'ExpirationTTL must not be negative'],
  ttlTooLong: [[87600], 400, 'ExpirationTTL must be at most 87600h (10 years)'],
  managementWithPolicies: [[], 400, 'management token cannot be associated with policies'],
  clientWithoutPolicies: [[], 400, 'client token missing policies'],
  unknownPolicy: [['p'], 400, 'cannot find policy p'],
  ttlRequired: [
    [],
    400,
    'ExpirationTTL is required for client tokens (e.g. "8h"): agents refuse client tokens that never expire unless non-expiring tokens are allowed',
  ],
  badAccessor: [['*'], 400, 'invalid token accessor ID "*": must be a UUID'],
  pathEscapes: [[], 400, 'Path escapes the alloc directory'],
  secretFile: [['web/secrets/x'], 403, 'Reading secret file prohibited: web/secrets/x'],
  privateFile: [['web/private/x'], 403, 'Reading private file prohibited: web/private/x'],
  noSuchFile: [['stat', 'alloc/x'], 404, 'stat alloc/x: no such file or directory'],
  isDirectory: [['alloc'], 400, 'file "alloc" is a directory'],
  notRegularFile: [['alloc/fifo'], 400, 'file "alloc/fifo" is not a regular file'],
  notDirectory: [['alloc/f'], 400, 'readdirent alloc/f: not a directory'],
  negativeOffset: [[-5, 'alloc/f'], 400, "can't seek to offset -5: seek alloc/f: invalid argument"],
  osFailure: [['open', 'alloc/f', 'permission denied'], 500, 'open alloc/f: permission denied'],
  unknownTask: [['t'], 400, 'unknown task name "t"'],
  taskNotStarted: [['t'], 404, 'task "t" not started yet. No logs available'],
  logNotFound: [['t', 'stdout'], 404, 'log entry for task "t" and log type "stdout" not found'],
  badLogIndex: [
    ['x'],
    500,
    'failed to convert "x" to a log index: strconv.Atoi: parsing "x": invalid syntax',
  ],
  listEntriesFailed: [
    ['open alloc/logs: permission denied'],
    500,
    'failed to list entries: open alloc/logs: permission denied',
  ],
  notEligibleForGc: [[], 500, 'No such allocation on client, or allocation not eligible for GC'],
  missingMeta: [[], 400, 'missing required Meta object'],
  emptyMetaKey: [[], 400, 'metadata keys must not be empty'],
  badMetaKey: [['a b'], 400, '"a b" is invalid; metadata keys must be valid dotted hcl identifiers'],
  uiNotBuilt: [[], 404, 'the web UI is not built: run `npm run build`'],
  internal: [[], 500, 'internal error'],
};

describe('the error catalog', () => {
  it('pins every entry', () => {
    expect(Object.keys(PINS).sort()).toEqual([...ERROR_CODES].sort());
  });

  it.each(Object.entries(PINS))('%s', (code, [args, status, message]) => {
    const make = errors[code as ErrorCode] as unknown as (...a: unknown[]) => Error;
    const e = make(...args);
    expect(isHttpError(e) && { code: e.code, status: e.status, message: e.message }).toEqual({
      code,
      status,
      message,
    });
    expect(errors[code as ErrorCode].is(e)).toBe(true);
    expect(errors[code as ErrorCode].status).toBe(status);
  });

  it('predicates go by code, not by text', () => {
    // Same text, different entries: only the code tells them apart.
    expect(errors.unknownFsOperation().message).toBe(errors.invalidMethod().message);
    expect(errors.invalidMethod.is(errors.unknownFsOperation())).toBe(false);
    expect(errors.noSuchFile.is(new Error('stat x: no such file or directory'))).toBe(false);
  });
});

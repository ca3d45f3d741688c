/**
 * The error catalog: every error either role sends on the wire is one entry here, with a stable
 * `code` (the entry's key), the HTTP status it travels with and the one function that builds its
 * message. Code decides by `code` (`errors.noSuchFile.is(e)`), never by message text: messages
 * copy Nomad's wording because clients match on them, and wording is not an API we control.
 *
 * Handlers throw; the one error responder (src/http/respond-error.ts) turns an HttpError into
 * Nomad's wire reply (the status, the message as plain text). Anything that is not an HttpError
 * is answered 500 `internal error` and logged with its cause; its own text is never sent.
 * docs/wire.md lists the statuses fleetgate chooses where Nomad's differ.
 */

/** Go's `%q` for the ASCII strings these messages carry. */
const q = (s: string): string => JSON.stringify(s);

type Entry = { readonly status: number; readonly message: (...args: never[]) => string };
const entry = <A extends unknown[]>(status: number, message: (...args: A) => string) => ({ status, message });

const CATALOG = {
  // ---- routing ----
  notFound: entry(404, () => 'resource not found'),
  invalidMethod: entry(405, () => 'Invalid method'),
  /** An fs operation Nomad does not have (`/v1/client/fs/bogus/...`): Nomad's 404 text. */
  unknownFsOperation: entry(404, () => 'Invalid method'),
  badUrlEscape: entry(400, () => 'invalid URL escape in request path'),

  // ---- parameters (all 400: a parameter that does not parse is the caller's fault) ----
  missingAllocId: entry(400, () => 'must provide a valid alloc id'),
  missingFileName: entry(400, () => 'must provide a file name'),
  missingTaskName: entry(400, () => 'must provide task name'),
  missingLogType: entry(400, () => 'must provide log type (stdout/stderr)'),
  badOrigin: entry(400, () => 'origin must be start or end'),
  badBool: entry(
    400,
    (field: string, value: string) =>
      `failed to parse ${field} field to boolean: strconv.ParseBool: parsing ${q(value)}: invalid syntax`,
  ),
  badInt: entry(
    400,
    (field: string, value: string, outOfRange = false) =>
      `error parsing ${field}: strconv.ParseInt: parsing ${q(value)}: ${outOfRange ? 'value out of range' : 'invalid syntax'}`,
  ),
  badAllocIdShape: entry(400, (id: string) =>
    id.length === 36
      ? 'alloc lookup failed: index error: Invalid UUID: encoding/hex: invalid byte'
      : 'alloc lookup failed: index error: UUID must be 36 characters',
  ),
  badNodeIdShape: entry(400, () => 'node lookup failed: index error: UUID must be 36 characters'),
  noNodeId: entry(400, () => 'No local Node and node_id not provided'),

  // ---- request bodies ----
  emptyBody: entry(400, () => 'Request body is empty'),
  malformedFraming: entry(400, (reason: string) => `malformed request framing: ${reason}`),
  bodyNotAllowed: entry(400, () => 'this endpoint takes no request body'),
  bodyTooLarge: entry(413, () => 'request body: request entity too large'),
  bodyUnreadable: entry(400, (detail: string) => `request body: ${detail}`),
  badJsonBody: entry(400, (detail: string) => `invalid JSON body: ${detail}`),
  badBodyField: entry(400, (where: string, detail: string) => `invalid request body: ${where}: ${detail}`),

  // ---- lookups ----
  unknownAlloc: entry(404, (id: string) => `Unknown allocation ${q(id)}`),
  allocNotOnClient: entry(404, (id: string) => `state for allocation ${id} not found on client`),
  unknownNode: entry(404, (id: string) => `Unknown node ${id}`),
  /** Registry read API (`/v1/node/:id`, `/v1/allocation/:id`). */
  nodeNotFound: entry(404, () => 'node not found'),
  allocNotFound: entry(404, () => 'alloc not found'),
  noPathToNode: entry(503, (reason?: string) => (reason ? `No path to node: ${reason}` : 'No path to node')),
  registryUnavailable: entry(
    503,
    (detail: string) => `registry unavailable: ${detail}; check that Redis is reachable from the gateway`,
  ),

  // ---- ACL ----
  permissionDenied: entry(403, () => 'Permission denied'),
  tokenExpired: entry(403, () => 'ACL token expired'),
  tokenNotFound: entry(403, () => 'ACL token not found'),
  aclDisabled: entry(400, () => 'ACL support disabled'),
  noSigningKey: entry(400, () => 'this server cannot issue ACL tokens (it has no signing key)'),
  bootstrapDone: entry(400, () => 'ACL bootstrap already done'),
  policyNotFound: entry(404, () => 'ACL policy not found'),
  badPolicyName: entry(
    400,
    (name: string, pattern: string) => `invalid policy name ${q(name)}: must match ${pattern}`,
  ),
  policyNameMismatch: entry(400, () => 'ACL policy name does not match request path'),
  badRules: entry(400, (detail: string) => `failed to parse rules: ${detail}`),
  badAclBody: entry(400, (detail: string) => detail),
  aclDecodeFailed: entry(400, (detail: string) => `Request decode failed: ${detail}`),
  badTtl: entry(400, (detail: string) => `ExpirationTTL: ${detail}`),
  negativeTtl: entry(400, () => 'ExpirationTTL must not be negative'),
  ttlTooLong: entry(400, (hours: number) => `ExpirationTTL must be at most ${hours}h (10 years)`),
  managementWithPolicies: entry(400, () => 'management token cannot be associated with policies'),
  clientWithoutPolicies: entry(400, () => 'client token missing policies'),
  unknownPolicy: entry(400, (name: string) => `cannot find policy ${name}`),
  ttlRequired: entry(
    400,
    () =>
      'ExpirationTTL is required for client tokens (e.g. "8h"): agents refuse client tokens that never expire unless non-expiring tokens are allowed',
  ),
  badAccessor: entry(400, (accessor: string) => `invalid token accessor ID ${q(accessor)}: must be a UUID`),

  // ---- allocation files ----
  pathEscapes: entry(400, () => 'Path escapes the alloc directory'),
  secretFile: entry(403, (path: string) => `Reading secret file prohibited: ${path}`),
  privateFile: entry(403, (path: string) => `Reading private file prohibited: ${path}`),
  noSuchFile: entry(
    404,
    (op: 'stat' | 'open', relPath: string) => `${op} ${relPath}: no such file or directory`,
  ),
  isDirectory: entry(400, (path: string) => `file ${q(path)} is a directory`),
  notRegularFile: entry(400, (path: string) => `file ${q(path)} is not a regular file`),
  tooManyEntries: entry(
    400,
    (relPath: string, max: number) =>
      `directory ${q(relPath)} has more than ${max} entries; list a subdirectory instead`,
  ),
  notDirectory: entry(400, (relPath: string) => `readdirent ${relPath}: not a directory`),
  negativeOffset: entry(
    400,
    (offset: bigint | number, relPath: string) =>
      `can't seek to offset ${offset}: seek ${relPath}: invalid argument`,
  ),
  /** Any other OS error: Go's wording of the errno, the path relative to the alloc dir. */
  osFailure: entry(500, (op: string, relPath: string, reason: string) => `${op} ${relPath}: ${reason}`),

  // ---- logs ----
  unknownTask: entry(400, (task: string) => `unknown task name ${q(task)}`),
  taskNotStarted: entry(404, (task: string) => `task ${q(task)} not started yet. No logs available`),
  logNotFound: entry(
    404,
    (task: string, type: string) => `log entry for task ${q(task)} and log type ${q(type)} not found`,
  ),
  badLogIndex: entry(
    500,
    (suffix: string) =>
      `failed to convert ${q(suffix)} to a log index: strconv.Atoi: parsing ${q(suffix)}: invalid syntax`,
  ),
  listEntriesFailed: entry(500, (detail: string) => `failed to list entries: ${detail}`),

  // ---- node operations ----
  notEligibleForGc: entry(500, () => 'No such allocation on client, or allocation not eligible for GC'),
  missingMeta: entry(400, () => 'missing required Meta object'),
  emptyMetaKey: entry(400, () => 'metadata keys must not be empty'),
  badMetaKey: entry(
    400,
    (key: string) => `${q(key)} is invalid; metadata keys must be valid dotted hcl identifiers`,
  ),

  // ---- registry reads (blocking queries) ----
  badWait: entry(400, () => 'Invalid wait time'),
  badIndex: entry(400, () => 'Invalid index'),

  // ---- job-wide logs ----
  missingJobId: entry(400, () => 'missing job ID'),
  wildcardNamespace: entry(400, () => 'namespace must name one namespace, not a wildcard'),
  negativeOffsetParam: entry(400, () => 'offset must not be negative'),
  badResume: entry(400, (entry: string) => `resume: ${q(entry)} is not <alloc id>:<task>:<file>:<offset>`),
  resumeNeedsFollow: entry(400, () => 'resume needs follow=true'),
  jobHasNoAllocs: entry(
    404,
    (job: string, namespace: string) => `job ${q(job)} has no allocations in namespace ${q(namespace)}`,
  ),

  /** An agent that has not heard from any gateway for longer than its limit (`--acl-max-stale-ms`). */
  aclStateStale: entry(
    503,
    (reason: string) =>
      `ACL state is stale: ${reason}; only management tokens are served until a gateway answers`,
  ),

  // ---- node API (agents through a gateway; docs/node-api.md) ----
  /** The registry holds no secret for this node (it lost its state): register again with a join token. */
  nodeRejoinRequired: entry(
    410,
    (id: string) => `node ${id} is not known to the registry: register again with a join token`,
  ),
  nodeIdMismatch: entry(400, () => 'Node.ID does not match the node ID in the path'),

  // ---- stream quotas ----
  tooManyStreams: entry(
    429,
    (who: string, limit: string, max: number) =>
      `Too many concurrent streams: ${who} limit ${limit}=${max} reached; close a stream or retry later`,
  ),

  // ---- web UI ----
  uiNotBuilt: entry(404, () => 'the web UI is not built: run `npm run build`'),

  // ---- anything unexpected ----
  internal: entry(500, () => 'internal error'),
} as const satisfies Record<string, Entry>;

/** The stable identity of a wire error: one literal per catalog entry. */
export type ErrorCode = keyof typeof CATALOG;

export class HttpError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HttpError';
  }
}

export const isHttpError = (e: unknown): e is HttpError => e instanceof HttpError;

type Args<C extends ErrorCode> = Parameters<(typeof CATALOG)[C]['message']>;

/** One constructor per entry, carrying its code and status and a predicate for its errors. */
export interface ErrorKind<C extends ErrorCode> {
  (...args: Args<C>): HttpError;
  readonly code: C;
  readonly status: number;
  /** Whether `e` is an error of this entry (by code, never by message). */
  is(e: unknown): e is HttpError & { readonly code: C };
}

const kind = <C extends ErrorCode>(code: C): ErrorKind<C> => {
  const { status, message } = CATALOG[code] as unknown as {
    status: number;
    message: (...a: Args<C>) => string;
  };
  const make = (...args: Args<C>) => new HttpError(code, status, message(...args));
  return Object.assign(make, {
    code,
    status,
    is: (e: unknown): e is HttpError & { readonly code: C } => isHttpError(e) && e.code === code,
  });
};

export const errors = Object.fromEntries(
  (Object.keys(CATALOG) as ErrorCode[]).map((code) => [code, kind(code)]),
) as { readonly [C in ErrorCode]: ErrorKind<C> };

/** Every code, for tests that walk the catalog. */
export const ERROR_CODES = Object.keys(CATALOG) as readonly ErrorCode[];

/** Attach the underlying error (logged for 5xx, never sent) to a catalog error. */
export const withCause = (err: HttpError, cause: unknown): HttpError =>
  new HttpError(err.code, err.status, err.message, { cause });

/**
 * One error type for the whole project. Handlers throw; the single error middleware of each
 * role turns an HttpError into Nomad's wire reply: plain-text message, the status it carries.
 * The status always travels on the error (never re-derived from message text, unlike Nomad's
 * `wrap`), and the message texts clients match on are built here only.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const isHttpError = (e: unknown): e is HttpError => e instanceof HttpError;

/** Go's `%q` for the ASCII strings these messages carry. */
const q = (s: string): string => JSON.stringify(s);

// Wire messages (spec §5). Each constructor fixes the status of design.md's wire policy.
export const errors = {
  badRequest: (message: string) => new HttpError(400, message),
  missingAllocId: () => new HttpError(400, 'must provide a valid alloc id'),
  missingFileName: () => new HttpError(400, 'must provide a file name'),
  missingTaskName: () => new HttpError(400, 'must provide task name'),
  missingLogType: () => new HttpError(400, 'must provide log type (stdout/stderr)'),
  badOrigin: () => new HttpError(400, 'origin must be start or end'),
  badBool: (field: string, value: string) =>
    new HttpError(
      400,
      `failed to parse ${field} field to boolean: strconv.ParseBool: parsing ${q(value)}: invalid syntax`,
    ),
  badInt: (field: string, value: string, outOfRange = false) =>
    new HttpError(
      400,
      `error parsing ${field}: strconv.ParseInt: parsing ${q(value)}: ${outOfRange ? 'value out of range' : 'invalid syntax'}`,
    ),
  badAllocIdShape: (id: string) =>
    new HttpError(
      400,
      id.length === 36
        ? 'alloc lookup failed: index error: Invalid UUID: encoding/hex: invalid byte'
        : `alloc lookup failed: index error: UUID must be 36 characters`,
    ),
  badNodeIdShape: () => new HttpError(400, 'node lookup failed: index error: UUID must be 36 characters'),
  noNodeId: () => new HttpError(400, 'No local Node and node_id not provided'),
  unknownAlloc: (id: string) => new HttpError(404, `Unknown allocation ${q(id)}`),
  allocNotOnClient: (id: string) => new HttpError(404, `state for allocation ${id} not found on client`),
  unknownNode: (id: string) => new HttpError(404, `Unknown node ${id}`),
  noPathToNode: (reason?: string) =>
    new HttpError(503, reason ? `No path to node: ${reason}` : 'No path to node'),
  permissionDenied: () => new HttpError(403, 'Permission denied'),
  tokenExpired: () => new HttpError(403, 'ACL token expired'),
  tokenNotFound: () => new HttpError(403, 'ACL token not found'),
  aclDisabled: () => new HttpError(400, 'ACL support disabled'),
  invalidMethod: () => new HttpError(405, 'Invalid method'),
  notFound: () => new HttpError(404, 'resource not found'),
  pathEscapes: () => new HttpError(400, 'Path escapes the alloc directory'),
  secretFile: (path: string) => new HttpError(403, `Reading secret file prohibited: ${path}`),
  privateFile: (path: string) => new HttpError(403, `Reading private file prohibited: ${path}`),
  noSuchFile: (op: 'stat' | 'open', relPath: string) =>
    new HttpError(404, `${op} ${relPath}: no such file or directory`),
  notRegularFile: (path: string) => new HttpError(400, `file ${q(path)} is not a regular file`),
  tooManyEntries: (relPath: string, max: number) =>
    new HttpError(400, `directory ${q(relPath)} has more than ${max} entries; list a subdirectory instead`),
  isDirectory: (path: string) => new HttpError(400, `file ${q(path)} is a directory`),
  notDirectory: (relPath: string) => new HttpError(400, `readdirent ${relPath}: not a directory`),
  negativeOffset: (offset: bigint | number, relPath: string) =>
    new HttpError(400, `can't seek to offset ${offset}: seek ${relPath}: invalid argument`),
  unknownTask: (task: string) => new HttpError(400, `unknown task name ${q(task)}`),
  taskNotStarted: (task: string) => new HttpError(404, `task ${q(task)} not started yet. No logs available`),
  logNotFound: (task: string, type: string) =>
    new HttpError(404, `log entry for task ${q(task)} and log type ${q(type)} not found`),
  // /fs/logs walk failures (spec §6.7); relPath is relative to the alloc dir, never absolute.
  badLogIndex: (suffix: string) =>
    new HttpError(
      500,
      `failed to convert ${q(suffix)} to a log index: strconv.Atoi: parsing ${q(suffix)}: invalid syntax`,
    ),
  listEntriesFailed: (detail: string) => new HttpError(500, `failed to list entries: ${detail}`),
  notEligibleForGc: () =>
    new HttpError(500, 'No such allocation on client, or allocation not eligible for GC'),
  emptyBody: () => new HttpError(400, 'Request body is empty'),
  malformedFraming: (reason: string) => new HttpError(400, `malformed request framing: ${reason}`),
  badUrlEscape: () => new HttpError(400, 'invalid URL escape in request path'),
  bodyNotAllowed: () => new HttpError(400, 'this endpoint takes no request body'),
  tooManyStreams: (who: string, limit: string, max: number) =>
    new HttpError(
      429,
      `Too many concurrent streams: ${who} limit ${limit}=${max} reached; close a stream or retry later`,
    ),
  registryUnavailable: (detail: string) =>
    new HttpError(503, `registry unavailable: ${detail}; check that Redis is reachable from the gateway`),
} as const;

import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { aclDisabled } from '../../../../src/acl/disabled';
import { fsHandlers } from '../../../../src/agent/fs/handlers';
import { logsHandlers } from '../../../../src/agent/logs/handlers';
import type { AgentCall, AgentHandler, AgentHandlers, LocalAlloc } from '../../../../src/agent/types';
import { errors } from '../../../../src/errors';
import { createKernel } from '../../../../src/http/kernel';
import { errorResponder } from '../../../../src/http/respond-error';
import { silentLogger } from '../../../../src/log/logger';
import { asAllocId, type AllocManifest } from '../../../../src/wire';

/**
 * A tiny agent for tests: the request kernel and the real fs/logs handlers on real HTTP over a
 * real temp alloc dir, without a manifest store: known ids resolve, the rest are 404.
 */
export const ALLOC_ID = '11111111-2222-3333-4444-555555555555';
const NODE_ID = '99999999-2222-3333-4444-555555555555';
const FS_ROUTES = ['fs.ls', 'fs.stat', 'fs.cat', 'fs.readat', 'fs.stream', 'fs.logs'] as const;
type FsRoute = (typeof FS_ROUTES)[number];

export interface TestAlloc extends LocalAlloc {
  started: Set<string>;
}

export const makeAlloc = (root: string, tasks = ['web'], id = ALLOC_ID): TestAlloc => {
  const dir = path.join(root, 'alloc', id);
  for (const d of ['alloc/logs', 'alloc/data', 'alloc/tmp'])
    fs.mkdirSync(path.join(dir, d), { recursive: true });
  for (const t of tasks)
    for (const d of ['local', 'secrets', 'private', 'tmp'])
      fs.mkdirSync(path.join(dir, t, d), { recursive: true });
  const manifest: AllocManifest = {
    ID: asAllocId(id),
    Namespace: 'default',
    JobID: 'job',
    TaskGroup: 'tg',
    Name: 'job.tg[0]',
    Tasks: tasks,
    ClientStatus: 'running',
    CreateTime: 0,
    ModifyTime: 0,
  };
  const started = new Set(tasks);
  return { manifest, dir: fs.realpathSync(dir), started, taskStarted: (t) => started.has(t) };
};

export interface Agent {
  readonly url: string;
  readonly server: http.Server;
  readonly root: string;
  readonly alloc: TestAlloc;
  /** Handlers still running (a finished request whose handler lingers is a leak). */
  inFlight(): number;
  /** Serve another allocation (e.g. one whose dir is reached through a symlink). */
  addAlloc(alloc: LocalAlloc): void;
  close(): Promise<void>;
}

export const startAgent = async (tasks?: string[]): Promise<Agent> => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetgate-fs-'));
  const alloc = makeAlloc(root, tasks);
  const allocs = new Map<string, LocalAlloc>([[ALLOC_ID, alloc]]);
  const handlers: Pick<AgentHandlers, FsRoute> = { ...fsHandlers, ...logsHandlers };
  let running = 0;
  const app = express();
  app.use(
    createKernel({
      authenticator: aclDisabled,
      logger: silentLogger(),
      findAlloc: async (id) => {
        const a = allocs.get(id);
        return a && { ID: id, Namespace: a.manifest.Namespace, NodeID: NODE_ID, local: a };
      },
      defaultNode: () => NODE_ID,
      async terminal({ id, req, res, params, alloc: scope }) {
        if (!FS_ROUTES.includes(id as FsRoute)) throw errors.notFound();
        const ac = new AbortController();
        res.on('close', () => ac.abort());
        running++;
        try {
          const call = {
            params,
            body: undefined,
            alloc: scope!.local,
            signal: ac.signal,
            holdFollower: () => {},
          };
          await (handlers[id as FsRoute] as AgentHandler<FsRoute>)(req, res, call as AgentCall<FsRoute>);
        } finally {
          running--;
        }
      },
    }),
  );
  app.use(errorResponder(silentLogger()));
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    root,
    alloc,
    inFlight: () => running,
    addAlloc: (x) => void allocs.set(x.manifest.ID, x),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
};

/** Write a file inside the alloc dir, creating parents. */
export const put = (a: Agent, rel: string, content: string | Buffer): string => {
  const abs = path.join(a.alloc.dir, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, content);
  return abs;
};

export { eventually, sleep } from '../../../helpers/eventually';

/** A raw streaming GET: collects the body as it arrives; `abort()` closes the socket. */
export interface Live {
  status(): number | undefined;
  headers(): http.IncomingHttpHeaders | undefined;
  body(): Buffer;
  ended(): boolean;
  done: Promise<void>;
  abort(): void;
}

export const liveGet = (url: string): Live => {
  const chunks: Buffer[] = [];
  let res: http.IncomingMessage | undefined;
  let ended = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const req = http.get(url, (r) => {
    res = r;
    r.on('data', (c: Buffer) => chunks.push(c));
    r.on('end', () => {
      ended = true;
      resolveDone();
    });
    r.on('error', () => resolveDone());
    r.on('close', () => resolveDone());
  });
  req.on('error', () => resolveDone());
  return {
    status: () => res?.statusCode,
    headers: () => res?.headers,
    body: () => Buffer.concat(chunks),
    ended: () => ended,
    done,
    abort: () => req.destroy(),
  };
};

export const openFdCount = (): number => fs.readdirSync('/proc/self/fd').length;

import type { AgentHandlers } from '../types';
import { streamLogs } from '../logs/logs';
import { listDir } from './ls';
import { parseCat, parseLogs, parseLs, parseReadAt, parseStat, parseStream } from './params';
import { sendJson } from './json';
import { sendRaw } from './raw';
import { statPath } from './stat';
import { streamPath } from './stream';

/**
 * The agent's fs/logs handlers (spec §5.5–5.10). Each validates its parameters first, then
 * resolves the allocation (lookup + ACL, throws), then works. They throw HttpError before the
 * first byte; once a stream has started, errors are appended to the body instead.
 */
export const fsHandlers: Pick<
  AgentHandlers,
  'fs.ls' | 'fs.stat' | 'fs.cat' | 'fs.readat' | 'fs.stream' | 'fs.logs'
> = {
  'fs.ls': async (req, res, ctx) => {
    const p = parseLs(req);
    const alloc = await ctx.resolveAlloc(p.allocId);
    sendJson(req, res, await listDir(alloc, p.path));
  },
  'fs.stat': async (req, res, ctx) => {
    const p = parseStat(req);
    const alloc = await ctx.resolveAlloc(p.allocId);
    sendJson(req, res, await statPath(alloc, p.path));
  },
  'fs.cat': async (req, res, ctx) => {
    const p = parseCat(req);
    const alloc = await ctx.resolveAlloc(p.allocId);
    await sendRaw(res, ctx.signal, alloc, { path: p.path, offset: 0, limit: 0 });
  },
  'fs.readat': async (req, res, ctx) => {
    const p = parseReadAt(req);
    const alloc = await ctx.resolveAlloc(p.allocId);
    await sendRaw(res, ctx.signal, alloc, { path: p.path, offset: p.offset, limit: p.limit });
  },
  'fs.stream': async (req, res, ctx) => {
    const p = parseStream(req);
    const alloc = await ctx.resolveAlloc(p.allocId);
    if (p.follow) ctx.holdFollower(alloc);
    await streamPath(res, ctx.signal, alloc, p);
  },
  'fs.logs': async (req, res, ctx) => {
    const p = parseLogs(req);
    const alloc = await ctx.resolveAlloc(p.allocId);
    if (p.follow) ctx.holdFollower(alloc);
    await streamLogs(res, ctx.signal, alloc, p);
  },
};

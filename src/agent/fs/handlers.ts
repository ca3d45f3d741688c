import type { AgentHandlers } from '../types';
import { sendJson } from '../../http/json';
import { listDir } from './ls';
import { sendRaw } from './raw';
import { statPath } from './stat';
import { streamPath } from './stream';

/**
 * The agent's fs handlers. The kernel has checked parameters, token, allocation and capability;
 * these throw HttpError before the first byte, and once a stream has started its errors are
 * appended to the body instead.
 */
export const fsHandlers: Pick<AgentHandlers, 'fs.ls' | 'fs.stat' | 'fs.cat' | 'fs.readat' | 'fs.stream'> = {
  'fs.ls': async (req, res, { params, alloc }) => sendJson(req, res, await listDir(alloc, params.path)),
  'fs.stat': async (req, res, { params, alloc }) => sendJson(req, res, await statPath(alloc, params.path)),
  'fs.cat': (_req, res, call) =>
    sendRaw(res, () => call.signal, call.alloc, { path: call.params.path, offset: 0, limit: 0 }),
  'fs.readat': (_req, res, call) => sendRaw(res, () => call.signal, call.alloc, call.params),
  'fs.stream': (_req, res, { params, alloc, signal, holdFollower }) => {
    if (params.follow) holdFollower();
    return streamPath(res, signal, alloc, params);
  },
};

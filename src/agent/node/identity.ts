import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { asNodeId, isUuid, type NodeId } from '../../wire';
import { writeFileAtomic } from './atomic-write';

/** `<data-dir>/client`: the agent's own state (node id, dynamic meta, manifests). */
export const clientDir = (dataDir: string): string => path.join(dataDir, 'client');

/**
 * The node's UUID: made on first start in `client/node-id`, kept forever. A file that
 * exists but does not hold a UUID is an error, not something to overwrite silently: replacing it
 * would turn this node into a different one in the registry.
 */
export const loadOrCreateNodeId = async (dataDir: string): Promise<NodeId> => {
  const dir = clientDir(dataDir);
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, 'node-id');
  try {
    const text = (await fs.readFile(file, 'utf8')).trim();
    if (!isUuid(text))
      throw new Error(`${file} does not hold a node UUID (found ${JSON.stringify(text.slice(0, 40))})`);
    return asNodeId(text.toLowerCase());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const id = randomUUID();
  await writeFileAtomic(file, `${id}\n`);
  return asNodeId(id);
};

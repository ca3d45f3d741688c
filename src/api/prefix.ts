import { isUuid } from '../wire/ids';
import type { FleetgateClient } from './client';
import { PrefixError } from './errors';

/** Shortest prefix accepted: as in Nomad's CLI, an ID may be given as a unique prefix of at least 8 characters. */
export const MIN_PREFIX = 8;

export class ShortPrefixError extends Error {
  constructor(readonly prefix: string) {
    super(`"${prefix}" is too short: give a full ID or a prefix of at least ${MIN_PREFIX} characters`);
    this.name = 'ShortPrefixError';
  }
}

/** A full allocation ID for an ID or a unique prefix (`/v1/allocations?prefix=`). */
export const resolveAllocId = async (client: FleetgateClient, idOrPrefix: string): Promise<string> => {
  if (isUuid(idOrPrefix)) return idOrPrefix;
  if (idOrPrefix.length < MIN_PREFIX) throw new ShortPrefixError(idOrPrefix);
  const ids = (await client.allocations(idOrPrefix))
    .map((a) => a.ID)
    .filter((id) => id.startsWith(idOrPrefix));
  return unique('allocation', idOrPrefix, ids);
};

/** A full node ID for an ID, a unique prefix, or an exact node name. */
export const resolveNodeId = async (client: FleetgateClient, idOrPrefix: string): Promise<string> => {
  if (isUuid(idOrPrefix)) return idOrPrefix;
  const nodes = await client.nodes();
  const byName = nodes.filter((n) => n.Name === idOrPrefix).map((n) => n.ID);
  if (byName.length === 1) return byName[0]!;
  if (idOrPrefix.length < MIN_PREFIX) throw new ShortPrefixError(idOrPrefix);
  return unique(
    'node',
    idOrPrefix,
    nodes.map((n) => n.ID).filter((id) => id.startsWith(idOrPrefix)),
  );
};

const unique = (kind: 'allocation' | 'node', prefix: string, ids: string[]): string => {
  const distinct = [...new Set(ids)].sort();
  if (distinct.length !== 1) throw new PrefixError(kind, prefix, distinct);
  return distinct[0]!;
};

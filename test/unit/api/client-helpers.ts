import type { Readable } from 'node:stream';

export * from '../../../src/api';

export const readAllBody = async (r: Readable): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ClientStatus } from '../../src/wire';

export interface SeedOptions {
  task?: string;
  namespace?: string;
  job?: string;
}

/** An allocation written straight into an agent's data dir; the test or bench writes its files. */
export interface SeededAlloc {
  id: string;
  /** `<data-dir>/alloc/<id>`, with Nomad's layout (alloc/{logs,data,tmp}, <task>/{local,secrets,tmp}). */
  allocDir: string;
  logsDir: string;
  /** Rewrite the manifest (atomically) with another ClientStatus; the agent adopts it within 1 s. */
  setStatus(status: ClientStatus): void;
}

/**
 * One allocation as any program may drop it (design.md "Agent data directory"): the manifest
 * `client/allocs/<id>.json` plus the allocation directory. The agent adopts it within 1 s.
 */
export const seedAlloc = (dataDir: string, opts: SeedOptions = {}): SeededAlloc => {
  const { task = 'web', namespace = 'default', job = 'web' } = opts;
  const id = randomUUID();
  const allocDir = path.join(dataDir, 'alloc', id);
  for (const d of [
    'alloc/logs',
    'alloc/data',
    'alloc/tmp',
    `${task}/local`,
    `${task}/secrets`,
    `${task}/tmp`,
  ]) {
    fs.mkdirSync(path.join(allocDir, d), { recursive: true });
  }
  fs.mkdirSync(path.join(dataDir, 'client/allocs'), { recursive: true });
  const created = Date.now() * 1e6;
  const setStatus = (status: ClientStatus) => {
    const file = path.join(dataDir, 'client/allocs', `${id}.json`);
    const manifest = {
      ID: id,
      Namespace: namespace,
      JobID: job,
      TaskGroup: job,
      Name: `${job}.${job}[0]`,
      Tasks: [task],
      ClientStatus: status,
      CreateTime: created,
      ModifyTime: Date.now() * 1e6,
    };
    // Atomic, so the agent's scanner never reads a half-written manifest.
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(manifest));
    fs.renameSync(`${file}.tmp`, file);
  };
  setStatus('running');
  return { id, allocDir, logsDir: path.join(allocDir, 'alloc/logs'), setStatus };
};

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A data dir with one adopted allocation (design.md manifest contract), so benchmarks run a
 * real `fleetgate agent` on real files without a task runner.
 */
export const allocFixture = (task = 'web') => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetgate-bench-'));
  const id = crypto.randomUUID();
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
  fs.mkdirSync(path.join(dataDir, 'client', 'allocs'), { recursive: true });
  const now = Date.now() * 1e6;
  const manifest = {
    ID: id,
    Namespace: 'default',
    JobID: 'bench',
    TaskGroup: 'bench',
    Name: 'bench.bench[0]',
    Tasks: [task],
    ClientStatus: 'running',
    CreateTime: now,
    ModifyTime: now,
  };
  fs.writeFileSync(path.join(dataDir, 'client', 'allocs', `${id}.json`), JSON.stringify(manifest));
  return { dataDir, id, allocDir, cleanup: () => fs.rmSync(dataDir, { recursive: true, force: true }) };
};

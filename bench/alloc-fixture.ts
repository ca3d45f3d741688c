import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seedAlloc } from '../test/helpers/seed-alloc';

/**
 * A fresh data dir with one adopted allocation (design.md manifest contract), so benchmarks run
 * a real `fleetgate agent` on real files without a task runner.
 */
export const allocFixture = (task = 'web') => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetgate-bench-'));
  const { id, allocDir } = seedAlloc(dataDir, { task, job: 'bench' });
  return { dataDir, id, allocDir, cleanup: () => fs.rmSync(dataDir, { recursive: true, force: true }) };
};

import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { AllocationSpec } from '../../config/agent';
import { asAllocId, dictSchema, type AllocId } from '../../wire';
import { writeFileAtomic } from '../node/atomic-write';
import { clientDir } from '../node/identity';

const StateFile = dictSchema(z, z.object({ id: z.uuid(), stopped: z.boolean() }));
type State = z.infer<typeof StateFile>;

/** The stable key of a configured allocation: the same config line keeps the same alloc id. */
export const specKey = (s: AllocationSpec): string =>
  `${s.namespace}/${s.job}/${s.group ?? s.job}[${s.index}]`;

/**
 * `client/static-allocs.json`: configured allocation key → alloc UUID (kept across restarts,
 * like static pods) and whether an operator stopped it (a stopped allocation is not started
 * again on the next agent start).
 */
export class StaticAllocIds {
  private constructor(
    private readonly file: string,
    private state: State,
  ) {}

  static async open(dataDir: string): Promise<StaticAllocIds> {
    const file = path.join(clientDir(dataDir), 'static-allocs.json');
    let state: State = {};
    try {
      state = StateFile.parse(JSON.parse(await fs.readFile(file, 'utf8')));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new Error(`${file}: ${(err as Error).message}`);
    }
    return new StaticAllocIds(file, state);
  }

  async idFor(key: string): Promise<{ id: AllocId; stopped: boolean }> {
    let entry = this.state[key];
    if (!entry) {
      entry = { id: randomUUID(), stopped: false };
      this.state = { ...this.state, [key]: entry };
      await this.save();
    }
    return { id: asAllocId(entry.id), stopped: entry.stopped };
  }

  async markStopped(id: string): Promise<void> {
    const key = Object.keys(this.state).find((k) => this.state[k]?.id === id);
    if (!key) return;
    this.state = { ...this.state, [key]: { id, stopped: true } };
    await this.save();
  }

  private save(): Promise<void> {
    return writeFileAtomic(this.file, `${JSON.stringify(this.state, null, 2)}\n`);
  }
}

import fsp from 'node:fs/promises';
import path from 'node:path';
import type { StopSignal } from '../fs/follow';
import { watchPath } from '../fs/watch-registry';
import { LOGS_DIR, logIndexOf } from './log-files';

export interface NextFileWatch extends StopSignal {
  close(): void;
}

/**
 * Fires once any log file of this task/type with an index above `idx` exists (Nomad's walk does the same,
 * gaps allowed). Shares the directory watcher with every other follower of this alloc's logs;
 * only name changes (`rename`) and poll changes trigger a directory read, not every append.
 */
export const watchNextFile = (allocDir: string, task: string, type: string, idx: number): NextFileWatch => {
  const dir = path.join(allocDir, LOGS_DIR);
  let fired = false;
  let closed = false;
  let checking = false;
  let again = false;
  const callbacks: Array<() => void> = [];

  const higherExists = async (): Promise<boolean> => {
    try {
      const names = await fsp.readdir(dir);
      return names.some((n) => {
        try {
          return (logIndexOf(n, task, type) ?? -Infinity) > idx;
        } catch {
          return false; // a malformed name is reported by the walker's listing, not here
        }
      });
    } catch {
      return false;
    }
  };

  const check = async (): Promise<void> => {
    if (checking) {
      again = true;
      return;
    }
    checking = true;
    try {
      do {
        again = false;
        if (await higherExists()) {
          if (!fired && !closed) {
            fired = true;
            release();
            for (const cb of callbacks) cb();
          }
          return;
        }
      } while (again && !closed);
    } finally {
      checking = false;
    }
  };

  const release = watchPath(dir, (kind) => {
    if (kind !== 'change') void check();
  });
  void check();

  return {
    get fired() {
      return fired;
    },
    onFire(cb) {
      callbacks.push(cb);
    },
    close() {
      closed = true;
      release();
    },
  };
};

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI } from './fleetgate-process';

export const ROOT = path.resolve(__dirname, '../..');

/** The indented shell lines of the README between two markers, as a newcomer pastes them. */
export const readmeBlock = (from: string, to: string): string => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  return readme
    .slice(readme.indexOf(from), readme.indexOf(to))
    .split('\n')
    .filter((l) => l.startsWith('    '))
    .map((l) => l.slice(4))
    .join('\n');
};

/**
 * The same commands on the test's free ports (one pass, so a new port that happens to contain
 * another README port is left alone), with the built CLI standing for `npx fleetgate`.
 */
export const onPorts = (steps: string, ports: Record<number, number>): string =>
  steps
    .replaceAll('npx fleetgate', `node ${CLI}`)
    .replaceAll('examples/', `${ROOT}/examples/`)
    .replace(new RegExp(Object.keys(ports).join('|'), 'g'), (p) => String(ports[Number(p)]));

/**
 * Runs a script with bash -e in `cwd`; resolves (never rejects) with its exit and the transcript.
 * A failed run throws with the whole transcript — and says when it was the time limit that ended
 * it, which otherwise looks like a step that failed silently.
 */
export const runWalkthrough = (script: string, cwd: string, timeoutMs: number): Promise<string> =>
  new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['-c', `set -e\n${script}`],
      { cwd, timeout: timeoutMs, env: { ...process.env, FLEETGATE_LOG_LEVEL: 'warn' } },
      (err, stdout, stderr) => {
        const out = stdout + stderr;
        if (!err) return resolve(out);
        const how = err.killed ? `was stopped after ${timeoutMs} ms` : `exited ${String(err.code)}`;
        reject(new Error(`the walkthrough ${how}:\n${out}`));
      },
    );
  });

import fs from 'node:fs';
import type { Command } from 'commander';
import { usage } from '../output/errors';
import { readAll } from '../../api';
import { writeOut } from '../output/write';
import { action, prepareArgv, withCommonOptions } from './op-common';
import { ApiError } from '../../api';

/** `fleetgate operator api [-X METHOD] [-H 'K: V']... PATH` — curl for the gateway, with the token set. */
export const register = (program: Command): void => {
  prepareArgv();
  const operator = program.command('operator').description('operator tools');
  withCommonOptions(
    operator
      .command('api')
      .argument('<path>', 'request path, e.g. /v1/nodes or /v1/client/stats?node_id=...'),
  )
    .description('send a raw request to the gateway (body from stdin when piped)')
    .option('-X <method>', 'HTTP method (default GET, or POST with a piped body)')
    .option('-H <header>', 'extra header "Name: value" (repeatable)', (v: string, prev: string[] = []) => [
      ...prev,
      v,
    ])
    .action(
      action(async (client, opts, rawPath: string) => {
        const url = new URL(rawPath.startsWith('/') ? rawPath : `/${rawPath}`, 'http://x');
        const headers: Record<string, string> = {};
        for (const h of (opts['H'] as string[] | undefined) ?? []) {
          const i = h.indexOf(':');
          if (i <= 0) throw usage(`header "${h}" is not "Name: value"`);
          headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
        }
        // Read a body from a pipe, socket or redirected file (not a terminal or /dev/null), and
        // never for an explicit GET/HEAD. Without -X, a pipe that stays silent is no body: a
        // script run with an open, idle stdin must not hang (it gets a GET).
        const explicit = typeof opts['X'] === 'string' ? opts['X'].toUpperCase() : undefined;
        const body =
          explicit === 'GET' || explicit === 'HEAD' || !stdinIsData()
            ? undefined
            : explicit
              ? await readAll(process.stdin)
              : await readIfPrompt(process.stdin, STDIN_SILENCE_MS);
        const hasBody = body !== undefined && body.length > 0;
        const method = explicit ?? (hasBody ? 'POST' : 'GET');
        const query = Object.fromEntries(url.searchParams);
        const res = await client.raw({
          method,
          path: url.pathname,
          query,
          headers,
          body: hasBody ? body : undefined,
        });
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          for await (const chunk of res) await writeOut(process.stdout, chunk as Buffer);
          return;
        }
        throw new ApiError(
          status,
          (await readAll(res)).toString('utf8'),
          client.gateway.base + url.pathname,
          'gateway',
        );
      }),
    );
};

/** How long a pipe may stay silent before `operator api` without -X decides there is no body. */
const STDIN_SILENCE_MS = 200;

/** The whole stream if its first byte (or EOF) comes within `ms`; otherwise undefined. */
const readIfPrompt = (stream: NodeJS.ReadStream, ms: number): Promise<Buffer | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      stream.off('data', onData).off('end', onEnd).off('error', reject).pause();
      resolve(undefined);
    }, ms);
    const onData = (c: Buffer) => {
      clearTimeout(timer);
      chunks.push(c);
    };
    const onEnd = () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    };
    stream.on('data', onData).once('end', onEnd).once('error', reject);
  });

const stdinIsData = (): boolean => {
  try {
    const st = fs.fstatSync(0);
    return st.isFIFO() || st.isFile() || st.isSocket();
  } catch {
    return false;
  }
};

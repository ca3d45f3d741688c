import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errors, HttpError } from '../../../../src/errors';
import { execFileSync } from 'node:child_process';
import {
  lexicalRelPath,
  openInAlloc,
  osError,
  protectedKind,
  resolveInAlloc,
} from '../../../../src/agent/allocdir';
import { makeAlloc, type TestAlloc } from '../fs/harness';

let root: string;
let alloc: TestAlloc;
let outside: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetgate-allocdir-'));
  alloc = makeAlloc(root);
  outside = path.join(root, 'outside-secret.txt');
  fs.writeFileSync(outside, 'HOST SECRET');
  fs.writeFileSync(path.join(alloc.dir, 'web/secrets/test_file'), 'TOPSECRET');
  fs.writeFileSync(path.join(alloc.dir, 'web/private/p'), 'PRIVATE');
  fs.writeFileSync(path.join(alloc.dir, 'alloc/data/ok.txt'), 'fine');
  fs.symlinkSync(outside, path.join(alloc.dir, 'alloc/data/escape-link'));
  fs.symlinkSync('../../..', path.join(alloc.dir, 'alloc/data/up-link'));
  fs.symlinkSync('../secrets/test_file', path.join(alloc.dir, 'web/local/into-secrets'));
  fs.symlinkSync('../secrets', path.join(alloc.dir, 'web/local/secrets-dir'));
  fs.symlinkSync('ok.txt', path.join(alloc.dir, 'alloc/data/inside-link'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const statusOf = async (p: Promise<unknown>): Promise<number | 'ok'> => {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof HttpError) return e.status;
    throw e;
  }
};

describe('lexical path check', () => {
  it('a leading slash is harmless', () => {
    expect(lexicalRelPath('/alloc/logs')).toBe('alloc/logs');
    expect(lexicalRelPath('alloc/logs')).toBe('alloc/logs');
    expect(lexicalRelPath('/')).toBe('');
  });
  it('.. that stays inside is fine; climbing out is refused with "Path escapes the alloc directory"', () => {
    expect(lexicalRelPath('alloc/../web/local')).toBe('web/local');
    expect(() => lexicalRelPath('..')).toThrow('Path escapes the alloc directory');
    expect(() => lexicalRelPath('../foo')).toThrow(HttpError);
  });
  it('a name that merely starts with .. is a legal file name', () => {
    expect(lexicalRelPath('..foo')).toBe('..foo');
  });
  it('a NUL byte is refused', () => {
    expect(() => lexicalRelPath('alloc/\0/x')).toThrow('Path escapes the alloc directory');
  });
});

describe('secrets and private', () => {
  it('is judged on whole segments under a known task, case-insensitively', () => {
    expect(protectedKind('web/secrets/x', ['web'])).toBe('secret');
    expect(protectedKind('web/SECRETS', ['web'])).toBe('secret');
    expect(protectedKind('web/private/x', ['web'])).toBe('private');
    expect(protectedKind('web/secretsX', ['web'])).toBeUndefined();
    expect(protectedKind('alloc/secrets', ['web'])).toBeUndefined();
    expect(protectedKind('web', ['web'])).toBeUndefined();
  });
  it('reading web/secrets/test_file is refused with the requested path (§13.83)', async () => {
    await expect(openInAlloc(alloc, 'web/secrets/test_file')).rejects.toThrow(
      errors.secretFile('web/secrets/test_file'),
    );
  });
  it('reading under private is refused', async () => {
    await expect(openInAlloc(alloc, '/web/private/p')).rejects.toThrow(
      'Reading private file prohibited: /web/private/p',
    );
  });
  it('a symlink from the task dir into secrets is refused after resolution', async () => {
    expect(await statusOf(openInAlloc(alloc, 'web/local/into-secrets'))).toBe(403);
    expect(await statusOf(openInAlloc(alloc, 'web/local/secrets-dir/test_file'))).toBe(403);
  });
  it('resolving (for ls/stat) secrets is allowed', async () => {
    expect(await statusOf(resolveInAlloc(alloc, 'web/secrets'))).toBe('ok');
  });
});

describe('symlinks', () => {
  it('a symlink pointing outside the alloc dir is refused (400)', async () => {
    expect(await statusOf(openInAlloc(alloc, 'alloc/data/escape-link'))).toBe(400);
    expect(await statusOf(resolveInAlloc(alloc, 'alloc/data/up-link'))).toBe(400);
    expect(await statusOf(resolveInAlloc(alloc, 'alloc/data/up-link/etc/passwd'))).toBe(400);
  });
  it('a symlink that stays inside is followed', async () => {
    const f = await openInAlloc(alloc, 'alloc/data/inside-link');
    try {
      const buf = Buffer.alloc(16);
      const bytesRead = await f.read(buf, 0, 16, 0);
      expect(buf.subarray(0, bytesRead).toString()).toBe('fine');
    } finally {
      f.close();
    }
  });
  it('errors name alloc-relative paths, never the host path', async () => {
    try {
      await openInAlloc(alloc, 'alloc/data/missing');
      throw new Error('expected failure');
    } catch (e) {
      expect(e).toBeInstanceOf(HttpError);
      expect((e as HttpError).status).toBe(404);
      expect((e as HttpError).message).toBe('stat alloc/data/missing: no such file or directory');
      expect((e as HttpError).message).not.toContain(root);
    }
  });
  it('opening a directory is a 400 "is a directory"', async () => {
    await expect(openInAlloc(alloc, 'alloc/logs')).rejects.toThrow('file "alloc/logs" is a directory');
  });
});

describe('no existence oracle outside the alloc dir', () => {
  it('a missing path under a symlinked-out directory is a 400, like an existing one', async () => {
    expect(await statusOf(resolveInAlloc(alloc, 'alloc/data/up-link/definitely-missing'))).toBe(400);
  });
  it('a dangling symlink to a missing target outside is a 400', async () => {
    fs.symlinkSync('/nonexistent/fleetgate-target', path.join(alloc.dir, 'alloc/data/dangling-out'));
    expect(await statusOf(resolveInAlloc(alloc, 'alloc/data/dangling-out'))).toBe(400);
  });
  it('a dangling symlink inside is simply not found', async () => {
    fs.symlinkSync('nothing-here', path.join(alloc.dir, 'alloc/data/dangling-in'));
    expect(await statusOf(openInAlloc(alloc, 'alloc/data/dangling-in'))).toBe(404);
  });
});

describe('odd files and OS errors', () => {
  it('reading a FIFO is refused at once instead of blocking', async () => {
    const fifo = path.join(alloc.dir, 'alloc/logs/.web.stdout.fifo');
    execFileSync('mkfifo', [fifo]);
    await expect(openInAlloc(alloc, 'alloc/logs/.web.stdout.fifo')).rejects.toThrow(
      errors.notRegularFile('alloc/logs/.web.stdout.fifo'),
    );
  });
  it('unexpected OS errors name the relative path in Go wording, never the host path', () => {
    const e = osError(
      'open',
      'alloc/data/x',
      Object.assign(new Error(`EACCES: permission denied, open '${root}/x'`), { code: 'EACCES' }),
    );
    expect([e.status, e.message]).toEqual([500, 'open alloc/data/x: permission denied']);
  });
});

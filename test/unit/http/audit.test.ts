import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Writable } from 'node:stream';
import { auditAllowed, auditDenied } from '../../../src/http/audit';
import { tally } from '../../../src/http/count';
import { sleep } from '../../helpers/eventually';

const capture = () => {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
};

describe('audit', () => {
  it('denied: one line at once', () => {
    const { lines, logger } = capture();
    auditDenied(logger, {
      accessorId: 'acc-9',
      capability: { kind: 'namespace', anyOf: ['read-logs', 'read-fs'] },
      path: '/v1/client/fs/logs/x',
      namespace: 'default',
      allocId: 'x',
      allowed: false,
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      audit: true,
      accessor: 'acc-9',
      capability: 'read-logs|read-fs',
      namespace: 'default',
      alloc: 'x',
      allowed: false,
    });
  });

  it('allowed: one line at the end with the body bytes counted once; no token in it', async () => {
    const { lines, logger } = capture();
    const server = http.createServer((req, res) => {
      tally(res).onClose((o) =>
        auditAllowed(
          logger,
          { accessorId: 'acc-9', capability: 'read-fs', path: req.url ?? '', allowed: true },
          o,
        ),
      );
      res.write('hello ');
      res.end(Buffer.from('world'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const body = await fetch(`http://127.0.0.1:${port}/v1/client/fs/cat/a`, {
      headers: { 'X-Nomad-Token': 'secret-token' },
    }).then((r) => r.text());
    expect(body).toBe('hello world');
    await sleep(50);
    server.close();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      allowed: true,
      bytes: 11,
      status: 200,
      completed: true,
      path: '/v1/client/fs/cat/a',
    });
    expect(JSON.stringify(lines)).not.toContain('secret-token');
  });
});

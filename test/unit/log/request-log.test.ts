import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { bindRequestLog, logRequest, requestLogFields } from '../../../src/log/http';
import { eventually, sleep } from '../../helpers/eventually';

/** A pino logger whose lines land in `lines`, parsed. */
const capture = (level: string) => {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n'))
        if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: pino({ level }, sink) };
};

const serve = async (handler: http.RequestListener) => {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise<void>((r) => server.close(() => r())) };
};

describe('request log line', () => {
  it('writes one line per request with what the pipeline bound, and the query secret redacted', async () => {
    const { lines, logger } = capture('info');
    const s = await serve((req, res) => {
      logRequest(logger, req, res, { node: 'n1' });
      bindRequestLog(req, { route: 'fs.cat' });
      bindRequestLog(req, { accessor: 'a1' });
      expect(requestLogFields(req)).toEqual({ node: 'n1', route: 'fs.cat', accessor: 'a1' });
      res.statusCode = 404;
      res.end('nope');
    });
    try {
      await (await fetch(`${s.url}/v1/x?path=a&token=SECRET`)).text();
      await eventually(() => lines.length > 0);
      expect(lines).toHaveLength(1);
      const line = lines[0]!;
      expect(line).toMatchObject({
        level: 30,
        msg: 'request completed',
        node: 'n1',
        route: 'fs.cat',
        accessor: 'a1',
        res: { statusCode: 404 },
        req: { method: 'GET', url: '/v1/x?path=a&token=[redacted]' },
      });
      expect(typeof line['responseTime']).toBe('number');
      expect(JSON.stringify(line)).not.toContain('SECRET');
    } finally {
      await s.close();
    }
  });

  it('logs a 5xx at error level, and nothing else when the level is warn', async () => {
    const { lines, logger } = capture('warn');
    let status = 200;
    const s = await serve((req, res) => {
      logRequest(logger, req, res);
      res.statusCode = status;
      res.end();
    });
    try {
      await fetch(`${s.url}/ok`);
      status = 503;
      await fetch(`${s.url}/down`);
      await eventually(() => lines.length > 0);
      await sleep(50);
      expect(lines.map((l) => [l['level'], (l['req'] as { url: string }).url])).toEqual([[50, '/down']]);
    } finally {
      await s.close();
    }
  });

  it('binds nothing and writes nothing when logging is off', async () => {
    const { lines, logger } = capture('silent');
    const s = await serve((req, res) => {
      logRequest(logger, req, res);
      bindRequestLog(req, { route: 'x' });
      expect(requestLogFields(req)).toEqual({});
      res.end();
    });
    try {
      await fetch(`${s.url}/`);
      await sleep(50);
      expect(lines).toHaveLength(0);
    } finally {
      await s.close();
    }
  });
});

import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { aclDisabled } from '../../src/acl/disabled';
import { listen } from '../../src/cli/commands/gateway-serve';
import { RemoteForwarder } from '../../src/forward/remote';
import { silentLogger } from '../../src/log/logger';
import { MemoryRegistry } from '../../src/registry/memory';
import { createGatewayApp } from '../../src/router/app';
import { clientTlsOptions } from '../../src/tls/client';
import { TestPki, type PairFiles } from '../helpers/pki';
import { tmpDir } from '../helpers/tmp';
import { alloc, node } from '../unit/registry/contract';

const RECORD = 16 * 1024;
const BIG = 8 * 1024 * 1024;
/** Deterministic bytes that are not one repeated block. */
const bigBody = (): Buffer => {
  const b = Buffer.alloc(BIG);
  for (let i = 0; i < BIG; i += 4) b.writeUInt32LE((i * 2654435761) >>> 0, i);
  return b;
};

/**
 * The gateway's relay with TLS on both hops: a real HTTPS upstream that wants client
 * certificates (as an agent with --tls-verify-client), the gateway app over HTTPS with its
 * forwarder presenting the gateway certificate, and a client counting the TLS records it gets.
 */
describe('gateway relay over TLS on both hops', () => {
  const t = tmpDir('fleetgate-tls-relay-');
  const body = bigBody();
  const registry = new MemoryRegistry();
  let allocId: string;
  let pki: TestPki;
  let upstream: https.Server;
  let gateway: { url: string; server: https.Server; close: () => void };

  beforeAll(async () => {
    pki = await TestPki.create(path.join(t.dir, 'pki'));
    const up: PairFiles = await pki.leaf('upstream', {});
    const server = await pki.role('server');
    upstream = https.createServer(
      {
        cert: fs.readFileSync(up.cert),
        key: fs.readFileSync(up.key),
        ca: fs.readFileSync(pki.caFile),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        if (req.url!.startsWith('/v1/client/fs/logs/')) {
          // Dies mid-body: the client must get what was sent, then the reason.
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.write('first line\n', () => setTimeout(() => res.socket?.destroy(), 50));
          return;
        }
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        // 1 MiB writes with backpressure, as the agent sends a file.
        let at = 0;
        const more = (): void => {
          while (at < body.length) {
            const ok = res.write(body.subarray(at, at + 1024 * 1024));
            at += 1024 * 1024;
            if (!ok) return void res.once('drain', more);
          }
          res.end();
        };
        more();
      },
    );
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const advertise = `https://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const n = node({ HTTPAddr: advertise.slice('https://'.length), AdvertiseURL: advertise });
    await registry.putNode(n, 60_000);
    const a = alloc(n.ID);
    allocId = a.ID;
    await registry.putAlloc(a);

    const forwarder = new RemoteForwarder({
      tls: clientTlsOptions({ ca: pki.caFile, cert: server.cert, key: server.key }),
    });
    const app = createGatewayApp({ registry, forwarder, authenticator: aclDisabled, logger: silentLogger() });
    const g = await listen(app, '127.0.0.1:0', {
      tls: { cert: server.cert, key: server.key, ca: pki.caFile, verifyClient: false },
    });
    gateway = {
      url: g.url,
      server: g.server as https.Server,
      close: () => {
        g.server.closeAllConnections();
        g.server.close();
        forwarder.close();
      },
    };
  });
  afterAll(async () => {
    gateway.close();
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
    t.cleanup();
  });

  /** GET through the gateway; the body and how many TLS records carried it (socket reads). */
  const get = (p: string) =>
    new Promise<{ status: number; body: Buffer; records: number }>((resolve, reject) => {
      let records = 0;
      const req = https.get(
        `${gateway.url}${p}`,
        { ca: fs.readFileSync(pki.caFile), agent: false },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(parts), records }));
          res.on('error', reject);
        },
      );
      // A TLS socket emits one 'data' per record it decrypts.
      req.on('socket', (s) => s.on('data', () => records++));
      req.on('error', reject);
    });

  it('a large body arrives intact, in full TLS records (not a full one and a tiny one per upstream record)', async () => {
    const r = await get(`/v1/client/fs/cat/${allocId}?path=alloc/big`);
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(BIG);
    expect(crypto.createHash('sha256').update(r.body).digest('hex')).toBe(
      crypto.createHash('sha256').update(body).digest('hex'),
    );
    // Relayed record by record, each 16 KiB record became a chunk whose framing spilled into a
    // second record: about twice BIG / RECORD.
    expect(r.records).toBeLessThan((BIG / RECORD) * 1.25);
  });

  it('an upstream dying mid-body: the client gets the bytes sent, then the reason', async () => {
    const r = await get(`/v1/client/fs/logs/${allocId}?task=web&type=stdout&follow=true&plain=true`);
    expect(r.body.toString()).toMatch(/^first line\n\nNo path to node: /);
  });
});

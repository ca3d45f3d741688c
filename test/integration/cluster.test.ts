import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type tls from 'node:tls';
import path from 'node:path';
import { fdCount, startFleetgate, type FleetgateProcess } from '../helpers/fleetgate-process';
import { stackTls } from '../helpers/https';
import { startRedis, type RedisServer } from '../helpers/redis';
import { tmpDir } from '../helpers/tmp';
import { seedAlloc as seedAllocation } from '../helpers/seed-alloc';
import { eventually, sleep } from '../helpers/eventually';

/** TLS options of the test's own requests (the CA and the cli certificate) in the TLS run. */
let clientTls: tls.ConnectionOptions = {};
/** http or https by the URL, with the run's client TLS options for https. */
const web = (url: string) =>
  url.startsWith('https:') ? { mod: https, opts: clientTls } : { mod: http, opts: {} };

const get = (url: string): Promise<{ status: number; body: Buffer }> =>
  new Promise((resolve, reject) => {
    const { mod, opts } = web(url);
    mod
      .get(url, { ...opts, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });

/** A manifest plus log files written directly, as design.md allows; the agent adopts it. */
const seedAlloc = (dataDir: string): string => {
  const a = seedAllocation(dataDir);
  fs.writeFileSync(path.join(a.logsDir, 'web.stdout.0'), `hello from ${a.id}\n`.repeat(100));
  return a.id;
};

// Once over plain HTTP, once with TLS on every hop: Redis on TLS with client certificates,
// gateways on HTTPS, agents with mutual TLS (the gateways present their certificate).
describe.each([{ transport: 'http' }, { transport: 'tls' }])(
  'cluster on loopback ($transport): Redis, 3 agents, 2 gateways',
  ({ transport }) => {
    let redis: RedisServer;
    const agents: Array<{
      p: FleetgateProcess;
      alloc: string;
      nodeId: string;
      dir: string;
      cleanup: () => void;
    }> = [];
    const gateways: FleetgateProcess[] = [];
    let keysDir: { dir: string; cleanup: () => void };

    beforeAll(async () => {
      // The join token is given to the gateways in a file, as docker-compose does: it survives a
      // Redis that restarts empty, so the agents can join again (API-created tokens live in Redis).
      keysDir = tmpDir();
      const tls = transport === 'tls' ? await stackTls(keysDir.dir) : undefined;
      clientTls = tls?.client ?? {};
      redis = await startRedis(tls && { ...tls.pki.server, ca: tls.pki.ca.cert, authClients: true });
      const redisTls = tls
        ? [
            '--redis-ca-cert',
            tls.pki.ca.cert,
            '--redis-client-cert',
            tls.pki.server.cert,
            '--redis-client-key',
            tls.pki.server.key,
          ]
        : [];
      const join = path.join(keysDir.dir, 'join-token');
      fs.writeFileSync(join, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
      for (let i = 0; i < 2; i++)
        gateways.push(
          await startFleetgate([
            'gateway',
            '--http-addr',
            '127.0.0.1:0',
            '--redis',
            redis.url,
            '--node-join-token',
            join,
            ...redisTls,
            ...(tls?.gatewayArgs ?? []),
          ]),
        );
      for (let i = 0; i < 3; i++) {
        const { dir, cleanup } = tmpDir();
        const alloc = seedAlloc(dir);
        const p = await startFleetgate([
          'agent',
          '--http-addr',
          '127.0.0.1:0',
          '--data-dir',
          dir,
          '--node-name',
          `n${i}`,
          // Either gateway: the agent moves to the other when one does not answer.
          '--gateway',
          gateways.map((g) => g.url).join(','),
          '--join-token',
          join,
          '--heartbeat-interval-ms',
          '300',
          ...(tls?.agentArgs ?? []),
        ]);
        expect(p.url).toMatch(tls ? /^https:/ : /^http:/);
        const nodeId = fs.readFileSync(path.join(dir, 'client/node-id'), 'utf8').trim();
        agents.push({ p, alloc, nodeId, dir, cleanup });
      }
      // Manifests are adopted within 1 s.
      const end = Date.now() + 5000;
      for (const a of agents) {
        while ((await get(`${gateways[0]!.url}/v1/allocation/${a.alloc}`)).status !== 200 && Date.now() < end)
          await sleep(100);
      }
    }, 60_000);

    afterAll(async () => {
      for (const g of gateways) await g.stop('SIGKILL');
      for (const a of agents) {
        await a.p.stop('SIGKILL');
        a.cleanup();
      }
      await redis.stop();
      keysDir.cleanup();
    });

    test('seed endpoints through either gateway equal the direct agent answer', async () => {
      for (const a of agents) {
        for (const q of [
          `/v1/client/fs/cat/${a.alloc}?path=alloc/logs/web.stdout.0`,
          `/v1/client/fs/readat/${a.alloc}?path=alloc/logs/web.stdout.0&offset=5&limit=40`,
          `/v1/client/fs/logs/${a.alloc}?task=web&type=stdout&plain=true`,
          `/v1/client/fs/stat/${a.alloc}?path=alloc/logs/web.stdout.0`,
          `/v1/client/fs/ls/${a.alloc}?path=alloc/logs`,
          `/v1/client/metadata?node_id=${a.nodeId}`,
        ]) {
          const direct = await get(a.p.url + q);
          expect(direct.status).toBe(200);
          for (const g of gateways) {
            const via = await get(g.url + q);
            expect(via.status).toBe(200);
            expect(via.body.equals(direct.body)).toBe(true);
          }
        }
      }
    });

    test('500 aborted follow streams through a gateway leave no fds behind', async () => {
      const g = gateways[1]!;
      const a = agents[1]!;
      const gBase = await fdCount(g.pid);
      const aBase = await fdCount(a.p.pid);
      const { mod, opts } = web(g.url);
      const agent = new mod.Agent({ keepAlive: false, maxSockets: 600, ...opts });
      const reqs = await Promise.all(
        Array.from(
          { length: 500 },
          () =>
            new Promise<http.ClientRequest>((resolve, reject) => {
              const r = mod.get(
                `${g.url}/v1/client/fs/logs/${a.alloc}?task=web&type=stdout&follow=true`,
                { agent },
                (res) => res.once('data', () => resolve(r)),
              );
              r.on('error', reject);
            }),
        ),
      );
      for (const r of reqs) r.destroy();
      const end = Date.now() + 10_000;
      let gNow = 0;
      let aNow = 0;
      do {
        await sleep(200);
        gNow = await fdCount(g.pid);
        aNow = await fdCount(a.p.pid);
      } while ((gNow > gBase + 5 || aNow > aBase + 5) && Date.now() < end);
      expect(gNow).toBeLessThanOrEqual(gBase + 5);
      expect(aNow).toBeLessThanOrEqual(aBase + 5);
    }, 90_000); // 500 TLS handshakes on a loaded machine

    test('POST metadata through a gateway reaches the right node and GET /v1/node shows it within 1 s', async () => {
      const a = agents[1]!;
      const body = JSON.stringify({ NodeID: a.nodeId, Meta: { rack: 'r42' } });
      const { mod, opts } = web(gateways[1]!.url);
      const status = await new Promise<number>((resolve, reject) => {
        const r = mod.request(
          `${gateways[1]!.url}/v1/client/metadata`,
          { ...opts, method: 'POST', headers: { 'Content-Type': 'application/json' } },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        r.on('error', reject);
        r.end(body);
      });
      expect(status).toBe(200);
      // Within 1 s of the change, measured from the agent's answer.
      const gatewayMeta = async () =>
        JSON.parse((await get(`${gateways[0]!.url}/v1/node/${a.nodeId}`)).body.toString()).Meta as Record<
          string,
          string
        >;
      await eventually(async () => (await gatewayMeta())['rack'] === 'r42', 1000, 'meta at the gateway');
      expect(JSON.parse((await get(`${a.p.url}/v1/client/metadata`)).body.toString()).Dynamic).toMatchObject({
        rack: 'r42',
      });
    });

    test('Redis restart: cached allocations keep being served with zero failures', async () => {
      const g = gateways[0]!;
      const a = agents[0]!;
      const q = `${g.url}/v1/client/fs/stat/${a.alloc}?path=alloc/logs/web.stdout.0`;
      expect((await get(q)).status).toBe(200);
      await redis.stop();
      const failures: string[] = [];
      const probe = async (phase: string) => {
        const r = await get(q);
        if (r.status !== 200) failures.push(`${phase}: ${r.status} ${r.body.toString()}`);
      };
      for (let i = 0; i < 20; i++) await probe('redis down');
      await redis.restart();
      for (let i = 0; i < 20; i++) {
        await probe('redis back');
        await sleep(50);
      }
      expect(failures).toEqual([]);
      // The empty registry knows no node secret: every agent is told to join again, does so with
      // its join token file, keeps its node ID and secret, and its allocations are back.
      const secrets = agents.map((x) => fs.readFileSync(path.join(x.dir, 'client/secret-id'), 'utf8'));
      for (const x of agents) {
        await eventually(
          async () => (await get(`${g.url}/v1/allocation/${x.alloc}`)).status === 200,
          15_000,
          `allocation ${x.alloc} registered again`,
        );
        expect(JSON.parse((await get(`${g.url}/v1/node/${x.nodeId}`)).body.toString()).Status).toBe('ready');
      }
      expect(agents.map((x) => fs.readFileSync(path.join(x.dir, 'client/secret-id'), 'utf8'))).toEqual(
        secrets,
      );
    }, 40_000);

    test('kill an agent: gateways answer 503 No path to node fast, and an open follow ends within 2 s', async () => {
      const a = agents[2]!;
      const g = gateways[0]!;
      const { mod, opts } = web(g.url);
      const ended = new Promise<number>((resolve) => {
        mod.get(`${g.url}/v1/client/fs/logs/${a.alloc}?task=web&type=stdout&follow=true`, opts, (res) => {
          res.once('data', () => {
            const t0 = Date.now();
            void a.p.stop('SIGKILL');
            res.on('close', () => resolve(Date.now() - t0));
            res.resume();
          });
        });
      });
      expect(await ended).toBeLessThan(2000);
      for (const gw of gateways) {
        const t0 = Date.now();
        const r = await get(`${gw.url}/v1/client/fs/stat/${a.alloc}?path=alloc/logs/web.stdout.0`);
        expect(Date.now() - t0).toBeLessThan(1000);
        expect(r.status).toBe(503);
        expect(r.body.toString()).toMatch(/^No path to node/);
      }
    }, 30_000);
  },
);

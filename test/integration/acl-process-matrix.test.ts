import { execFile } from 'node:child_process';
import crypto, { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import jwt from 'jsonwebtoken';
import { CLI, startFleetgate, type FleetgateProcess } from '../helpers/fleetgate-process';
import { request, stackTls, type Reply, type StackTls } from '../helpers/https';
import { joinTokenFile } from '../helpers/join';
import { startRedis, type RedisServer } from '../helpers/redis';
import { tmpDir } from '../helpers/tmp';
import { seedAlloc as seedAllocation } from '../helpers/seed-alloc';
import { eventually, sleep } from '../helpers/eventually';

/**
 * The ACL matrix through real processes: Redis, one `fleetgate agent --acl` (public key), one
 * `fleetgate gateway --acl` (private key). Every seed endpoint × token case is asked through the
 * gateway AND directly at the agent; both must give the expected answer, and a request the
 * gateway denies must never reach the agent (the agent logs every request at debug level, so a
 * `fgprobe=<marker>` query parameter shows up in its log iff the request got there).
 */
const DENIED = 'Permission denied';
const LOG_LINE = 'hello from the web task\n';
const LOG_TEXT = LOG_LINE.repeat(50);

type Need = 'node-read' | 'node-write' | 'read-job' | 'read-fs' | 'logs' | 'gc';
interface Endpoint {
  name: string;
  method: 'GET' | 'POST';
  /** Path and query, without the marker. */
  url: string;
  body?: string;
  need: Need;
  /** Status when the ACL check passes (alloc GC of a running alloc passes ACL, then is refused: 500). */
  okStatus: number;
}

const endpoints = (alloc: string, nodeId: string): Endpoint[] => {
  const file = 'path=/alloc/logs/web.stdout.0';
  return [
    {
      name: 'metadata GET',
      method: 'GET',
      url: `/v1/client/metadata?node_id=${nodeId}`,
      need: 'node-read',
      okStatus: 200,
    },
    {
      name: 'metadata POST',
      method: 'POST',
      url: `/v1/client/metadata?node_id=${nodeId}`,
      body: '{"Meta":{"rack":"r1"}}',
      need: 'node-write',
      okStatus: 200,
    },
    {
      name: 'stats',
      method: 'GET',
      url: `/v1/client/stats?node_id=${nodeId}`,
      need: 'node-read',
      okStatus: 200,
    },
    {
      name: 'alloc stats',
      method: 'GET',
      url: `/v1/client/allocation/${alloc}/stats`,
      need: 'read-job',
      okStatus: 200,
    },
    {
      name: 'fs ls',
      method: 'GET',
      url: `/v1/client/fs/ls/${alloc}?path=/alloc/logs`,
      need: 'read-fs',
      okStatus: 200,
    },
    {
      name: 'fs stat',
      method: 'GET',
      url: `/v1/client/fs/stat/${alloc}?${file}`,
      need: 'read-fs',
      okStatus: 200,
    },
    {
      name: 'fs cat',
      method: 'GET',
      url: `/v1/client/fs/cat/${alloc}?${file}`,
      need: 'read-fs',
      okStatus: 200,
    },
    {
      name: 'fs readat',
      method: 'GET',
      url: `/v1/client/fs/readat/${alloc}?${file}&offset=0&limit=10`,
      need: 'read-fs',
      okStatus: 200,
    },
    {
      name: 'fs stream',
      method: 'GET',
      url: `/v1/client/fs/stream/${alloc}?${file}&follow=false`,
      need: 'read-fs',
      okStatus: 200,
    },
    {
      name: 'fs logs',
      method: 'GET',
      url: `/v1/client/fs/logs/${alloc}?task=web&type=stdout&follow=false&plain=true`,
      need: 'logs',
      okStatus: 200,
    },
    { name: 'alloc gc', method: 'GET', url: `/v1/client/allocation/${alloc}/gc`, need: 'gc', okStatus: 500 },
    {
      name: 'gc all',
      method: 'GET',
      url: `/v1/client/gc?node_id=${nodeId}`,
      need: 'node-write',
      okStatus: 200,
    },
  ];
};

/** A manifest plus a log file written before the agent starts (design.md "Agent data directory"). */
const seedAlloc = (dataDir: string, namespace: string): string => {
  const a = seedAllocation(dataDir, { namespace });
  fs.writeFileSync(path.join(a.logsDir, 'web.stdout.0'), LOG_TEXT);
  return a.id;
};

/** TLS options of the test's own requests (the operator's CA and cli certificate), set per run. */
let clientTls: StackTls['client'] | undefined;

const call = async (
  base: string,
  ep: Pick<Endpoint, 'method' | 'url' | 'body'>,
  token?: string,
  marker?: string,
): Promise<Reply> => {
  const url = `${base}${ep.url}${marker ? `${ep.url.includes('?') ? '&' : '?'}fgprobe=${marker}` : ''}`;
  return request(url, {
    method: ep.method,
    headers: token !== undefined ? { 'X-Nomad-Token': token } : {},
    ...(ep.body !== undefined ? { body: ep.body } : {}),
    tls: clientTls,
  });
};

/** JSON log lines of a process (its stdout banner and non-JSON lines are skipped). */
const jsonLines = (p: FleetgateProcess): Record<string, unknown>[] =>
  p
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });

// Once over plain HTTP, once with TLS everywhere (HTTPS at the gateway, mutual TLS at the agent,
// the test a client with the cli certificate): the matrix must not change with the transport.
describe.each([{ transport: 'http' }, { transport: 'tls' }])(
  'ACL matrix through real processes ($transport): gateway and agent agree, denials never reach the agent',
  ({ transport }) => {
    let redis: RedisServer;
    let gateway: FleetgateProcess;
    let agent: FleetgateProcess;
    let dirs: Array<() => void> = [];
    let alloc = '';
    let otherAlloc = '';
    let nodeId = '';
    let management = '';
    let privatePem = '';
    let publicPem = '';
    /** Every token used, to prove none is ever logged. */
    const seenTokens = new Set<string>();
    let probe = 0;
    let eps: Endpoint[] = [];

    const api = (method: string, url: string, body?: unknown, token = management): Promise<Reply> =>
      request(`${gateway.url}${url}`, {
        method,
        headers: token ? { 'X-Nomad-Token': token } : {},
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        tls: clientTls,
      });
    const putPolicy = async (name: string, doc: object): Promise<void> => {
      const r = await api('POST', `/v1/acl/policy/${name}`, {
        Name: name,
        Description: '',
        Rules: JSON.stringify(doc),
      });
      expect(r).toEqual({ status: 200, body: '' });
    };
    const createToken = async (body: object): Promise<{ AccessorID: string; SecretID: string }> => {
      const r = await api('POST', '/v1/acl/token', body);
      expect(r.status).toBe(200);
      const t = JSON.parse(r.body) as { AccessorID: string; SecretID: string };
      seenTokens.add(t.SecretID);
      return t;
    };
    const clientToken = async (...policies: string[]) =>
      (
        await createToken({
          Name: policies.join('+'),
          Type: 'client',
          Policies: policies,
          ExpirationTTL: '1h',
        })
      ).SecretID;
    /** Claims as the gateway signs them; the bad-token cases vary one thing each. */
    const claims = (over: object = {}) => {
      const now = Math.floor(Date.now() / 1000);
      const id = randomUUID();
      return {
        iss: 'fleetgate',
        aud: 'fleetgate',
        sub: id,
        jti: id,
        iat: now,
        exp: now + 3600,
        type: 'management',
        policies: [],
        ...over,
      };
    };
    const crafted = (token: string): string => {
      seenTokens.add(token);
      return token;
    };

    /** Waits until the agent has logged `marker` (requests are logged in order, so all earlier ones are out too). */
    const agentSaw = (marker: string): boolean => agent.output().includes(`fgprobe=${marker}"`);
    const flushAgentLog = async (): Promise<void> => {
      const marker = `sentinel-${++probe}`;
      await call(agent.url, { method: 'GET', url: '/v1/agent/health' }, undefined, marker);
      await eventually(() => agentSaw(marker), 3000, `agent log line ${marker}`);
    };

    const allowedBy = (need: Need, grants: readonly Need[]): boolean =>
      grants.includes(need) || (need === 'node-read' && grants.includes('node-write'));

    /**
     * One row: every endpoint through the gateway and at the agent. `grants` lists what passes;
     * everything else must be 403 with `denial`.
     */
    const expectRow = async (
      token: string | undefined,
      grants: readonly Need[] | 'all',
      denial = DENIED,
    ): Promise<void> => {
      const viaGateway: Array<{ marker: string; allowed: boolean; name: string }> = [];
      for (const ep of eps) {
        const allowed = grants === 'all' || allowedBy(ep.need, grants);
        const marker = `gw-${++probe}`;
        const gw = await call(gateway.url, ep, token, marker);
        const direct = await call(agent.url, ep, token);
        const want = allowed ? ep.okStatus : 403;
        expect({ ep: ep.name, gateway: gw.status, agent: direct.status }).toEqual({
          ep: ep.name,
          gateway: want,
          agent: want,
        });
        if (!allowed)
          expect({ ep: ep.name, gateway: gw.body, agent: direct.body }).toEqual({
            ep: ep.name,
            gateway: denial,
            agent: denial,
          });
        // Same bytes both ways where the answer is not a live measurement.
        if (allowed && /fs (cat|readat|ls|stat|logs)|alloc gc/.test(ep.name))
          expect({ ep: ep.name, gateway: gw.body }).toEqual({ ep: ep.name, gateway: direct.body });
        viaGateway.push({ marker, allowed, name: ep.name });
      }
      await flushAgentLog();
      for (const r of viaGateway)
        expect({ ep: r.name, reachedAgent: agentSaw(r.marker) }).toEqual({
          ep: r.name,
          reachedAgent: r.allowed,
        });
    };

    /** Polls `check` until true; fails after `ms` (the 1 s propagation promise of design.md). */
    const within = async (ms: number, check: () => Promise<boolean>): Promise<number> => {
      const start = Date.now();
      while (!(await check())) {
        if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
        await sleep(25);
      }
      return Date.now() - start;
    };
    const catStatus = async (base: string, token: string | undefined) =>
      (
        await call(
          base,
          eps.find((e) => e.name === 'fs cat')!,
          token,
        )
      ).status;

    beforeAll(async () => {
      redis = await startRedis();
      const keys = tmpDir('fleetgate-keys-');
      const data = tmpDir('fleetgate-agent-');
      dirs = [keys.cleanup, data.cleanup];
      const tls = transport === 'tls' ? await stackTls(keys.dir) : undefined;
      clientTls = tls?.client;
      await promisify(execFile)(process.execPath, [CLI, 'acl', 'keygen', '--out', keys.dir]);
      privatePem = fs.readFileSync(path.join(keys.dir, 'acl-private.pem'), 'utf8');
      publicPem = fs.readFileSync(path.join(keys.dir, 'acl-public.pem'), 'utf8');
      alloc = seedAlloc(data.dir, 'default');
      otherAlloc = seedAlloc(data.dir, 'other');
      gateway = await startFleetgate(
        [
          'gateway',
          '--http-addr',
          '127.0.0.1:0',
          '--redis',
          redis.url,
          '--acl',
          '--acl-key',
          path.join(keys.dir, 'acl-private.pem'),
          ...(tls?.gatewayArgs ?? []),
        ],
        { FLEETGATE_LOG_LEVEL: 'info' },
      );
      expect(gateway.url).toMatch(tls ? /^https:/ : /^http:/);
      const boot = await api('POST', '/v1/acl/bootstrap', undefined, '');
      expect(boot.status).toBe(200);
      management = (JSON.parse(boot.body) as { SecretID: string }).SecretID;
      const join = await joinTokenFile(gateway.url, keys.dir, management, clientTls);
      // debug: the agent logs every request, which is how "never reached the agent" is observed.
      agent = await startFleetgate(
        [
          'agent',
          '--http-addr',
          '127.0.0.1:0',
          '--data-dir',
          data.dir,
          '--node-name',
          'm1',
          '--gateway',
          gateway.url,
          '--join-token',
          join,
          '--acl',
          '--acl-key',
          path.join(keys.dir, 'acl-public.pem'),
          ...(tls?.agentArgs ?? []),
        ],
        { FLEETGATE_LOG_LEVEL: 'debug' },
      );
      nodeId = fs.readFileSync(path.join(data.dir, 'client/node-id'), 'utf8').trim();
      eps = endpoints(alloc, nodeId);

      seenTokens.add(management);
      await putPolicy('ns-read', { namespace: { default: { policy: 'read' } } });
      await putPolicy('logs-only', { namespace: { default: { capabilities: ['read-logs'] } } });
      await putPolicy('fs-other', { namespace: { other: { capabilities: ['read-fs', 'read-logs'] } } });
      await putPolicy('node-read', { node: { policy: 'read' } });
      await putPolicy('node-write', { node: { policy: 'write' } });
      // The allocations are adopted and registered within about a second.
      await within(
        10_000,
        async () =>
          (await catStatus(gateway.url, management)) === 200 &&
          (await call(gateway.url, { method: 'GET', url: `/v1/client/fs/ls/${otherAlloc}` }, management))
            .status === 200,
      );
      // Forwarded requests carry the gateway's assertion, which needs no ACL state at the agent;
      // a token sent straight to the agent does: wait until the agent has its first ACL push.
      await within(
        10_000,
        async () => (await call(agent.url, { method: 'GET', url: '/v1/client/stats' })).status !== 503,
      );
    }, 60_000);

    afterAll(async () => {
      await gateway?.stop('SIGKILL');
      await agent?.stop('SIGKILL');
      await redis?.stop();
      for (const c of dirs) c();
    });

    it('bootstrap a second time is refused', async () => {
      expect(await api('POST', '/v1/acl/bootstrap', undefined, '')).toEqual({
        status: 400,
        body: 'ACL bootstrap already done',
      });
    });

    it('creating a token with a client token is refused', async () => {
      const client = await clientToken('node-write');
      expect(await api('POST', '/v1/acl/token', { Type: 'management' }, client)).toEqual({
        status: 403,
        body: DENIED,
      });
    });

    it('no token and no anonymous policy: everything denied', async () => {
      await expectRow(undefined, []);
    });

    it('no token with an anonymous policy (node read): node reads only, and gone again once the policy is deleted', async () => {
      await putPolicy('anonymous', { node: { policy: 'read' } });
      const meta = eps[0]!;
      await within(
        1000,
        async () =>
          (await call(gateway.url, meta)).status === 200 && (await call(agent.url, meta)).status === 200,
      );
      await expectRow(undefined, ['node-read']);
      expect((await api('DELETE', '/v1/acl/policy/anonymous')).status).toBe(200);
      await within(
        1000,
        async () =>
          (await call(gateway.url, meta)).status === 403 && (await call(agent.url, meta)).status === 403,
      );
      await expectRow(undefined, []);
    });

    it('namespace read: alloc stats only (read does not include read-fs or read-logs)', async () => {
      await expectRow(await clientToken('ns-read'), ['read-job']);
    });

    it('read-logs only: logs yes, cat and every other fs route no', async () => {
      await expectRow(await clientToken('logs-only'), ['logs']);
    });

    it('read-fs in another namespace: nothing here, but that namespace’s allocation is readable', async () => {
      const token = await clientToken('fs-other');
      await expectRow(token, []);
      const cat = {
        method: 'GET' as const,
        url: `/v1/client/fs/cat/${otherAlloc}?path=/alloc/logs/web.stdout.0`,
      };
      expect(await call(gateway.url, cat, token)).toEqual({ status: 200, body: LOG_TEXT });
      expect(await call(agent.url, cat, token)).toEqual({ status: 200, body: LOG_TEXT });
    });

    it('node read: metadata GET and stats', async () => {
      await expectRow(await clientToken('node-read'), ['node-read']);
    });

    it('node write: every node route, no allocation route', async () => {
      await expectRow(await clientToken('node-write'), ['node-write']);
    });

    it('management: everything', async () => {
      await expectRow(management, 'all');
    });

    it('expired token: ACL token expired', async () => {
      const past = Math.floor(Date.now() / 1000) - 7200;
      const token = crafted(
        jwt.sign(claims({ iat: past, exp: past + 60 }), privatePem, { algorithm: 'ES256' }),
      );
      await expectRow(token, [], 'ACL token expired');
    });

    it('bad signature (another ES256 key): Permission denied', async () => {
      const other = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      await expectRow(crafted(jwt.sign(claims(), other, { algorithm: 'ES256' })), []);
    });

    it('alg none: Permission denied', async () => {
      await expectRow(crafted(jwt.sign(claims(), '', { algorithm: 'none' })), []);
    });

    it('HS256 signed with the ES256 public key as the secret: Permission denied', async () => {
      await expectRow(crafted(jwt.sign(claims(), Buffer.from(publicPem), { algorithm: 'HS256' })), []);
    });

    it('wrong aud: Permission denied', async () => {
      await expectRow(crafted(jwt.sign(claims({ aud: 'nomad' }), privatePem, { algorithm: 'ES256' })), []);
    });

    it('revoked: ACL token not found at gateway and agent within 1 s', async () => {
      const t = await createToken({ Name: 'to-revoke', Type: 'management' });
      await expectRow(t.SecretID, 'all'); // cached as valid on both sides first
      expect((await api('DELETE', `/v1/acl/token/${t.AccessorID}`)).status).toBe(200);
      await within(
        1000,
        async () =>
          (await catStatus(gateway.url, t.SecretID)) === 403 &&
          (await catStatus(agent.url, t.SecretID)) === 403,
      );
      await expectRow(t.SecretID, [], 'ACL token not found');
    });

    it('policy changed after issue: takes effect at gateway and agent within 1 s', async () => {
      await putPolicy('changing', { namespace: { default: { policy: 'read' } } });
      const token = await clientToken('changing');
      await expectRow(token, ['read-job']); // cached on both sides first
      await putPolicy('changing', { namespace: { default: { policy: 'write' } }, node: { policy: 'deny' } });
      await within(
        1000,
        async () =>
          (await catStatus(gateway.url, token)) === 200 && (await catStatus(agent.url, token)) === 200,
      );
      // write: read-job, read-fs, read-logs, submit-job (alloc GC) — every allocation route.
      await expectRow(token, ['read-job', 'read-fs', 'logs', 'gc']);
    });

    it('a denied and an allowed cat each log one audit line, at the gateway and at the agent', async () => {
      const denied = await createToken({
        Name: 'audit-denied',
        Type: 'client',
        Policies: ['logs-only'],
        ExpirationTTL: '1h',
      });
      const allowed = await createToken({ Name: 'audit-allowed', Type: 'management' });
      const cat = eps.find((e) => e.name === 'fs cat')!;
      expect((await call(gateway.url, cat, denied.SecretID)).status).toBe(403);
      expect((await call(agent.url, cat, denied.SecretID)).status).toBe(403);
      expect((await call(gateway.url, cat, allowed.SecretID)).status).toBe(200);
      await flushAgentLog();
      await sleep(100); // the allowed line is written when the response closes
      const audit = (p: FleetgateProcess, accessor: string) =>
        jsonLines(p).filter((l) => l['audit'] === true && l['accessor'] === accessor);
      const common = {
        capability: 'read-fs',
        namespace: 'default',
        alloc,
        node: nodeId,
        path: `/v1/client/fs/cat/${alloc}`,
        file: '/alloc/logs/web.stdout.0',
      };
      expect(audit(gateway, denied.AccessorID)).toEqual([
        expect.objectContaining({ ...common, allowed: false }),
      ]);
      expect(audit(gateway, allowed.AccessorID)).toEqual([
        expect.objectContaining({
          ...common,
          allowed: true,
          status: 200,
          bytes: LOG_TEXT.length,
          completed: true,
        }),
      ]);
      // The agent: its own denial (direct call), and the forwarded allowed request.
      expect(audit(agent, denied.AccessorID)).toEqual([
        expect.objectContaining({ ...common, allowed: false }),
      ]);
      expect(audit(agent, allowed.AccessorID)).toEqual([
        expect.objectContaining({ ...common, allowed: true, status: 200, bytes: LOG_TEXT.length }),
      ]);
    });

    it('no token value ever appears in the gateway’s or the agent’s output', () => {
      expect(seenTokens.size).toBeGreaterThan(10);
      const logs = gateway.output() + agent.output();
      for (const token of seenTokens) {
        const signature = token.split('.')[2] ?? '';
        expect(logs.includes(token)).toBe(false);
        if (signature) expect(logs.includes(signature)).toBe(false);
      }
    });
  },
);

import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import {
  AGENT_TLS_NAME,
  PRIVATE_KEY,
  TLS_DIR,
  TLS_HOST_NAMES,
  TOPOLOGY,
} from '../../src/cli/cluster/topology';
import { loadAgentConfig } from '../../src/config/agent';
import { loadGatewayConfig } from '../../src/config/gateway';
import { ensureClusterPki } from '../../src/tls/cluster-pki';
import { clusterPkiPaths } from '../../src/tls/names';
import { CLI } from '../helpers/fleetgate-process';
import { tmpDir } from '../helpers/tmp';

/**
 * docker-compose.yml cannot be run here (no Docker), so it is checked against the topology
 * module that `fleetgate cluster` runs: same services, ports, env, health checks and ordering.
 */
interface Service {
  image?: string;
  build?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
}

const root = path.resolve(__dirname, '../..');
const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const svc = (name: string): Service => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service "${name}"`);
  return s;
};
const healthUrl = (s: Service): string =>
  /fetch\('([^']+)'\)/.exec((s.healthcheck?.test ?? []).join(' '))?.[1] ?? '';
const redisUrl = `redis://${TOPOLOGY.redis.service}:${TOPOLOGY.redis.port}`;
const keysDir = TOPOLOGY.keygen.keysDir;
const startsAfterRedisAndKeys = (s: Service) =>
  expect(s.depends_on).toEqual({
    [TOPOLOGY.redis.service]: { condition: 'service_healthy' },
    [TOPOLOGY.keygen.service]: { condition: 'service_completed_successfully' },
  });

describe('docker-compose.yml matches src/cli/cluster/topology.ts', () => {
  it('has exactly the topology services', () => {
    const want = [
      TOPOLOGY.redis.service,
      TOPOLOGY.keygen.service,
      TOPOLOGY.gateway.service,
      ...TOPOLOGY.agents.map((a) => a.service),
    ];
    expect(Object.keys(compose.services).sort()).toEqual([...want].sort());
  });

  it('redis: the image, with a ping health check', () => {
    const r = svc(TOPOLOGY.redis.service);
    expect(r.image).toBe(TOPOLOGY.redis.image);
    expect(r.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it('acl-keygen: an init service writing the key pair into the keys volume', () => {
    const k = svc(TOPOLOGY.keygen.service);
    expect(k.restart).toBe('no');
    expect(k.entrypoint?.join(' ')).toContain(`acl keygen --out ${keysDir}`);
    expect(k.entrypoint?.join(' ')).toContain(`test -f ${keysDir}/${PRIVATE_KEY}`);
    expect(k.volumes).toContain(`keys:${keysDir}`);
    expect(k.volumes).toContain('join:/join');
    expect(k.entrypoint?.join(' ')).toContain('test -f /join/token');
  });

  it('gateway: port, Redis, ACLs with the private key, health check, start order', () => {
    const g = svc(TOPOLOGY.gateway.service);
    const port = TOPOLOGY.gateway.port;
    expect(g.command).toEqual(['gateway']);
    expect(g.environment).toEqual({
      FLEETGATE_HTTP_ADDR: `0.0.0.0:${port}`,
      FLEETGATE_REDIS: redisUrl,
      FLEETGATE_ACL: 'true',
      FLEETGATE_ACL_KEY: `${keysDir}/${PRIVATE_KEY}`,
      FLEETGATE_NODE_JOIN_TOKEN: '/join/token',
    });
    expect(g.volumes).toContain('join:/join:ro');
    expect(g.ports).toEqual([`${port}:${port}`]);
    expect(g.volumes).toContain(`keys:${keysDir}:ro`);
    expect(healthUrl(g)).toBe(`http://127.0.0.1:${port}${TOPOLOGY.healthPath}`);
    startsAfterRedisAndKeys(g);
  });

  it.each(TOPOLOGY.agents.map((a) => [a.service, a] as const))(
    '%s: config from the topology, env, port, volume, health check',
    (_name, a) => {
      const s = svc(a.service);
      expect(s.build).toBe('.');
      expect(s.entrypoint?.join(' ')).toContain(`cluster agent-config ${a.service} > /tmp/agent.json`);
      expect(s.entrypoint?.join(' ')).toContain('agent --config /tmp/agent.json');
      expect(s.environment).toEqual({
        FLEETGATE_HTTP_ADDR: `0.0.0.0:${a.port}`,
        FLEETGATE_ADVERTISE: `http://${a.service}:${a.port}`,
        FLEETGATE_DATA_DIR: TOPOLOGY.dataDir,
        FLEETGATE_NODE_NAME: a.nodeName,
        FLEETGATE_DATACENTER: a.datacenter,
        FLEETGATE_META: Object.entries(a.meta)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
        // No Redis URL and no key file: the gateway admits the node and sends the ACL state.
        FLEETGATE_GATEWAY: `http://${TOPOLOGY.gateway.service}:${TOPOLOGY.gateway.port}`,
        FLEETGATE_JOIN_TOKEN: '/join/token',
        FLEETGATE_ACL: 'true',
      });
      expect(s.ports).toEqual([`${a.port}:${a.port}`]);
      expect(s.volumes).toEqual(['join:/join:ro', `${a.service}-data:${TOPOLOGY.dataDir}`]);
      expect(healthUrl(s)).toBe(`http://127.0.0.1:${a.port}${TOPOLOGY.healthPath}`);
      startsAfterRedisAndKeys(s);
      expect(compose.volumes).toHaveProperty(`${a.service}-data`);
    },
  );

  it('Dockerfile: multi-stage build, slim runtime, non-root user', () => {
    const df = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    expect(df.match(/^FROM /gm)).toHaveLength(2);
    expect(df).toMatch(/^FROM node:20[\w.-]*-slim AS runtime$/m);
    expect(df).toMatch(/^COPY --from=build /m);
    expect(df).toMatch(/^USER fleetgate$/m);
    // The relay's heap stays put (docs/performance.md "The bulk path").
    expect(df).toMatch(/^ENV GLIBC_TUNABLES=glibc\.malloc\.trim_threshold=\d+$/m);
    expect(df).toMatch(/chown fleetgate:fleetgate \/keys \/data \/join \/tls/);
    const ignore = fs.readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n');
    expect(ignore).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
  });
});

/**
 * docker-compose.tls.yml, merged over docker-compose.yml as `docker compose -f ... -f ...` does
 * (maps merge key by key, lists append), checked against the certificate layout that
 * `fleetgate cluster tls-files` writes and the config keys the roles read.
 */
describe('docker-compose.tls.yml: the TLS override is consistent', () => {
  const over = parse(fs.readFileSync(path.join(root, 'docker-compose.tls.yml'), 'utf8')) as {
    services: Record<string, Service>;
    volumes: Record<string, unknown>;
  };
  const merged = (name: string): Service => {
    const b = compose.services[name] ?? {};
    const o = over.services[name] ?? {};
    return {
      ...b,
      ...o,
      environment: { ...b.environment, ...o.environment },
      volumes: [...(b.volumes ?? []), ...(o.volumes ?? [])],
      depends_on: { ...b.depends_on, ...o.depends_on },
      ...(o.healthcheck
        ? { healthcheck: o.healthcheck }
        : b.healthcheck
          ? { healthcheck: b.healthcheck }
          : {}),
    };
  };
  const files = clusterPkiPaths(TLS_DIR);
  const t = tmpDir('fleetgate-compose-tls-');
  afterAll(() => t.cleanup());
  /** The files a health check script reads, and the URL it asks. */
  const health = (s: Service) => {
    const script = (s.healthcheck?.test ?? []).join(' ');
    return {
      url: /get\('([^']+)'/.exec(script)?.[1] ?? '',
      reads: [...script.matchAll(/readFileSync\('([^']+)'\)/g)].map((m) => m[1]!),
    };
  };
  const startsAfterTlsInit = (s: Service) =>
    expect(s.depends_on).toMatchObject({ 'tls-init': { condition: 'service_completed_successfully' } });

  it('only adds tls-init; overrides only topology services; declares the tls volume', () => {
    const known = [TOPOLOGY.gateway.service, ...TOPOLOGY.agents.map((a) => a.service), 'tls-init'];
    expect(Object.keys(over.services).sort()).toEqual([...known].sort());
    expect(over.volumes).toHaveProperty('tls');
  });

  it('tls-init writes the layout with the fleetgate image, as `cluster tls-files` (a real subcommand)', () => {
    const init = over.services['tls-init']!;
    expect(init.restart).toBe('no');
    expect(init.build).toBe('.');
    expect(init.entrypoint).toEqual(['node', '/app/dist/cli/main.js', 'cluster', 'tls-files', TLS_DIR]);
    expect(init.volumes).toEqual([`tls:${TLS_DIR}`]);
    const help = spawnSync(process.execPath, [CLI, 'cluster', 'tls-files', '--help'], { encoding: 'utf8' });
    expect(help.stdout).toMatch(/Usage: fleetgate cluster tls-files/);
  });

  it('the gateway serves the server certificate, trusts the CA and checks agents for their role name', () => {
    const g = merged(TOPOLOGY.gateway.service);
    expect(g.environment).toMatchObject({
      FLEETGATE_TLS_CERT: files.server.cert,
      FLEETGATE_TLS_KEY: files.server.key,
      FLEETGATE_TLS_CA: files.ca.cert,
      FLEETGATE_TLS_AGENT_SERVER_NAME: AGENT_TLS_NAME,
    });
    // The variable names are the gateway's real config twins.
    const c = loadGatewayConfig({}, g.environment!);
    expect(c).toMatchObject({
      tls_cert: files.server.cert,
      tls_key: files.server.key,
      tls_ca: files.ca.cert,
      tls_agent_server_name: AGENT_TLS_NAME,
    });
    expect(g.volumes).toContain(`tls:${TLS_DIR}:ro`);
    startsAfterTlsInit(g);
    expect(health(g)).toEqual({
      url: `https://127.0.0.1:${TOPOLOGY.gateway.port}${TOPOLOGY.healthPath}`,
      reads: [files.ca.cert],
    });
  });

  it.each(TOPOLOGY.agents.map((a) => [a.service, a] as const))(
    '%s: HTTPS with mutual TLS, advertises and joins over https, health check with its certificate',
    (_name, a) => {
      const s = merged(a.service);
      expect(s.environment).toMatchObject({
        FLEETGATE_ADVERTISE: `https://${a.service}:${a.port}`,
        FLEETGATE_GATEWAY: `https://${TOPOLOGY.gateway.service}:${TOPOLOGY.gateway.port}`,
        FLEETGATE_TLS_CERT: files.client.cert,
        FLEETGATE_TLS_KEY: files.client.key,
        FLEETGATE_TLS_CA: files.ca.cert,
        FLEETGATE_TLS_VERIFY_CLIENT: 'true',
      });
      const c = loadAgentConfig({ dataDir: t.dir }, s.environment!);
      expect(c).toMatchObject({
        tls_cert: files.client.cert,
        tls_key: files.client.key,
        tls_ca: files.ca.cert,
        tls_verify_client: true,
      });
      expect(s.volumes).toContain(`tls:${TLS_DIR}:ro`);
      startsAfterTlsInit(s);
      expect(health(s)).toEqual({
        url: `https://127.0.0.1:${a.port}${TOPOLOGY.healthPath}`,
        reads: [files.ca.cert, files.client.cert, files.client.key],
      });
    },
  );

  it('the certificates tls-init makes carry the compose host names the services dial', async () => {
    const { pki } = await ensureClusterPki(t.dir, { dnsNames: TLS_HOST_NAMES });
    const read = (f: string) => new X509Certificate(fs.readFileSync(f));
    const server = read(pki.server.cert);
    const client = read(pki.client.cert);
    expect(server.checkHost(TOPOLOGY.gateway.service)).toBe(TOPOLOGY.gateway.service);
    for (const a of TOPOLOGY.agents) expect(client.checkHost(a.service)).toBe(a.service);
    expect(client.checkHost(AGENT_TLS_NAME)).toBe(AGENT_TLS_NAME);
    expect(server.checkIssued(read(pki.ca.cert))).toBe(true);
  });
});

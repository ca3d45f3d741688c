import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { TOPOLOGY, PRIVATE_KEY } from '../../src/cli/cluster/topology';

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
    expect(df).toMatch(/chown fleetgate:fleetgate \/keys \/data/);
    const ignore = fs.readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n');
    expect(ignore).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
  });
});

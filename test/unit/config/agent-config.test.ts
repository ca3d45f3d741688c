import { loadAgentConfig } from '../../../src/config/agent';

describe('agent config', () => {
  it('flags win over FLEETGATE_* env, meta merges key by key', () => {
    const c = loadAgentConfig(
      { dataDir: '/d', httpAddr: '127.0.0.1:9', meta: ['a=flag'] },
      { FLEETGATE_HTTP_ADDR: '0.0.0.0:1', FLEETGATE_DATACENTER: 'dc9', FLEETGATE_META: 'a=env,b=env' },
    );
    expect(c).toMatchObject({ http_addr: '127.0.0.1:9', datacenter: 'dc9', meta: { a: 'flag', b: 'env' } });
  });
  it.each([
    [{ dataDir: '/d', httpAddr: 'x' }, {}, 'config: http_addr: expected host:port'],
    [{}, {}, 'config: data_dir:'],
    [
      { dataDir: '/d', redis: 'http://x' },
      {},
      'config: redis: expected a redis://, rediss://, redis-sentinel://, rediss-sentinel://, redis-cluster:// or rediss-cluster:// URL',
    ],
    [{ dataDir: '/d', acl: true }, {}, 'config: acl_key: acl is on but acl_key is not set'],
    [
      { dataDir: '/d', advertise: 'http://10.0.0.1:4647/admin?x=' },
      {},
      'config: advertise: must be an origin: http(s)://host[:port], no path, query or credentials',
    ],
    [{ dataDir: '/d', meta: ['novalue'] }, {}, '--meta: "novalue" is not key=value'],
    [{ dataDir: '/d' }, { FLEETGATE_HEARTBEAT_INTERVAL_MS: 'soon' }, 'config: heartbeat_interval_ms:'],
  ])('a bad value is one line naming the key: %j %j', (flags, env, msg) => {
    expect(() => loadAgentConfig(flags, env)).toThrow(msg);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadAgentConfig } from '../../../src/config/agent';

describe('agent config', () => {
  it('gateways come as a comma-separated list from a flag or FLEETGATE_GATEWAY', () => {
    expect(
      loadAgentConfig({ dataDir: '/d' }, { FLEETGATE_GATEWAY: 'http://a:1, http://b:2' }).gateway,
    ).toEqual(['http://a:1', 'http://b:2']);
  });
  it('a Redis URL is refused: agents hold no registry credentials', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fg-cfg-'));
    const file = path.join(dir, 'agent.json');
    fs.writeFileSync(file, JSON.stringify({ data_dir: '/d', redis: 'redis://r:6379' }));
    expect(() => loadAgentConfig({ config: file }, {})).toThrow(
      /config: redis: agents no longer talk to Redis/,
    );
    fs.rmSync(dir, { recursive: true });
  });
  it('flags win over FLEETGATE_* env, meta merges key by key', () => {
    const c = loadAgentConfig(
      { dataDir: '/d', httpAddr: '127.0.0.1:9', meta: ['a=flag'] },
      { FLEETGATE_HTTP_ADDR: '0.0.0.0:1', FLEETGATE_DATACENTER: 'dc9', FLEETGATE_META: 'a=env,b=env' },
    );
    expect(c).toMatchObject({ http_addr: '127.0.0.1:9', datacenter: 'dc9', meta: { a: 'flag', b: 'env' } });
  });
  it('__proto__ is an ordinary meta key from flags, env and the config file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fg-meta-'));
    const file = path.join(dir, 'agent.json');
    fs.writeFileSync(file, '{"data_dir":"/d","meta":{"__proto__":"file","constructor":"file"}}');
    const fromFile = loadAgentConfig({ config: file }, {});
    expect(Object.keys(fromFile.meta)).toEqual(['__proto__', 'constructor']);
    const c = loadAgentConfig(
      { config: file, meta: ['__proto__=flag'] },
      { FLEETGATE_META: 'constructor=env' },
    );
    expect(Object.keys(c.meta).sort()).toEqual(['__proto__', 'constructor']);
    expect([c.meta['__proto__'], c.meta['constructor']]).toEqual(['flag', 'env']);
    fs.rmSync(dir, { recursive: true });
  });
  it.each([
    [{ dataDir: '/d', httpAddr: 'x' }, {}, 'config: http_addr: expected host:port'],
    [{}, {}, 'config: data_dir:'],
    [{ dataDir: '/d', acl: true }, {}, 'config: gateway: acl is on but no gateway is set'],
    [{ dataDir: '/d', gateway: 'http://gw:4646/x' }, {}, 'config: gateway.0: each gateway must be an origin'],
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

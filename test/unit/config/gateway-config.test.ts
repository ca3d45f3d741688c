import fs from 'node:fs';
import path from 'node:path';
import { loadGatewayConfig } from '../../../src/config/gateway';
import { ConfigError } from '../../../src/config/sources';
import { tmpDir } from '../../helpers/tmp';

describe('gateway config', () => {
  it('flags win over FLEETGATE_* env, which wins over the config file', () => {
    const t = tmpDir();
    try {
      const file = path.join(t.dir, 'gw.json');
      fs.writeFileSync(
        file,
        JSON.stringify({ redis: 'redis://file:1', http_addr: '127.0.0.1:1', idle_timeout_ms: 7 }),
      );
      const c = loadGatewayConfig(
        { config: file, httpAddr: '127.0.0.1:9' },
        {
          FLEETGATE_HTTP_ADDR: '0.0.0.0:2',
          FLEETGATE_REDIS: 'redis-sentinel://127.0.0.1:26379/fleet',
          FLEETGATE_ACL: 'false',
        },
      );
      expect(c).toMatchObject({
        http_addr: '127.0.0.1:9',
        redis: 'redis-sentinel://127.0.0.1:26379/fleet',
        idle_timeout_ms: 7,
        acl: false,
      });
      expect(c.connect_timeout_ms).toBe(2000);
    } finally {
      t.cleanup();
    }
  });

  it.each([
    [{}, {}, 'config: redis:'],
    [{ redis: 'redis://r:1', httpAddr: 'localhost' }, {}, 'config: http_addr: expected host:port'],
    [{ redis: 'redis-sentinel://h:1' }, {}, 'config: redis: invalid sentinel URL'],
    [{ redis: 'redis://r:1', acl: true }, {}, 'config: acl_key: acl is on but acl_key is not set'],
    [{ redis: 'redis://r:1', connectTimeoutMs: 'fast' }, {}, 'config: connect_timeout_ms:'],
    [{ redis: 'redis://r:1' }, { FLEETGATE_ACL: 'maybe' }, 'config: acl:'],
    [
      { redis: 'redis://r:1', config: '/nonexistent/gw.json' },
      {},
      'config: cannot read /nonexistent/gw.json',
    ],
  ])('a bad value is one ConfigError line naming the key: %j %j', (flags, env, msg) => {
    expect(() => loadGatewayConfig(flags, env)).toThrow(ConfigError);
    expect(() => loadGatewayConfig(flags, env)).toThrow(msg);
  });
});

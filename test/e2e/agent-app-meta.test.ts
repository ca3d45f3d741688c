import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { loadAgentConfig } from '../../src/config/agent';
import { startAgent, type RunningAgent } from '../../src/agent/agent';
import { tmpDir } from '../helpers/tmp';

const boot = (dataDir: string, meta: string[] = []): Promise<RunningAgent> =>
  startAgent(loadAgentConfig({ dataDir, httpAddr: '127.0.0.1:0', meta }, {}));

describe('agent metadata endpoints', () => {
  let t: ReturnType<typeof tmpDir>;
  let agent: RunningAgent;
  beforeEach(async () => {
    t = tmpDir();
    agent = await boot(t.dir, ['static_meta=true']);
  });
  afterEach(async () => {
    await agent.stop();
    t.cleanup();
  });

  it('a fresh agent reads Meta == Static with connect defaults and an empty Dynamic', async () => {
    const res = await request(agent.app).get('/v1/client/metadata').expect(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body.Dynamic).toEqual({});
    expect(res.body.Meta).toEqual(res.body.Static);
    expect(res.body.Static['connect.log_level']).toBe('info');
    expect(res.body.Static.static_meta).toBe('true');
  });

  it('static, dynamic and null tombstones follow Nomad (spec §13 #58)', async () => {
    let r = await request(agent.app)
      .post('/v1/client/metadata')
      .send({ Meta: { dynamic_meta: 'true' } })
      .expect(200);
    expect(r.body.Static.static_meta).toBe('true');
    expect(r.body.Meta).toMatchObject({ static_meta: 'true', dynamic_meta: 'true' });
    expect(r.body.Dynamic).toEqual({ dynamic_meta: 'true' });
    r = await request(agent.app)
      .post('/v1/client/metadata')
      .send({ Meta: { static_meta: null } })
      .expect(200);
    expect(r.body.Static.static_meta).toBe('true');
    expect(r.body.Meta.static_meta).toBeUndefined();
    expect(r.body.Dynamic).toEqual({ dynamic_meta: 'true', static_meta: null });
    r = await request(agent.app)
      .post('/v1/client/metadata')
      .send({ Meta: { dynamic_meta: null } })
      .expect(200);
    expect(r.body.Dynamic).toEqual({ static_meta: null });
    expect(r.body.Meta.dynamic_meta).toBeUndefined();
  });

  it('applying {static key: null, foo: bar} makes Dynamic equal the request (spec §13 #59)', async () => {
    const r = await request(agent.app)
      .post('/v1/client/metadata')
      .send({ Meta: { 'connect.log_level': null, foo: 'bar' } })
      .expect(200);
    expect(r.body.Dynamic).toEqual({ 'connect.log_level': null, foo: 'bar' });
    expect(r.body.Meta.foo).toBe('bar');
    expect(r.body.Meta['connect.log_level']).toBeUndefined();
  });

  it.each([
    [{}, 'missing required Meta object'],
    [{ Meta: null }, 'missing required Meta object'],
    [{ Meta: {} }, 'missing required Meta object'],
    [{ Meta: { '': 'bad' } }, 'metadata keys must not be empty'],
    [{ Meta: { ' bad': 'x' } }, '" bad" is invalid; metadata keys must be valid dotted hcl identifiers'],
    [{ Meta: { '*bad%': 'x' } }, '"*bad%" is invalid; metadata keys must be valid dotted hcl identifiers'],
    [{ Meta: { '.bad': 'x' } }, '".bad" is invalid; metadata keys must be valid dotted hcl identifiers'],
    [{ Meta: { 'bad.': 'x' } }, '"bad." is invalid; metadata keys must be valid dotted hcl identifiers'],
    [
      { Meta: { 'bad.-part': 'x' } },
      '"bad.-part" is invalid; metadata keys must be valid dotted hcl identifiers',
    ],
    [{ Meta: { 'a..b': 'x' } }, '"a..b" is invalid; metadata keys must be valid dotted hcl identifiers'],
  ])('apply %j is a 400 with the exact message (spec §13 #56-57)', async (body, message) => {
    const r = await request(agent.app).post('/v1/client/metadata').send(body).expect(400);
    expect(r.text).toBe(message);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('valid dotted identifiers with dashes and unicode are accepted', async () => {
    await request(agent.app)
      .post('/v1/client/metadata')
      .send({ Meta: { 'a-b.c_d': '1', 'connect.log_level': 'debug', 'größe.ñ': '' } })
      .expect(200);
  });

  it('an empty body is 400 Request body is empty; bad JSON and wrong types are 400', async () => {
    const empty = await request(agent.app).post('/v1/client/metadata').expect(400);
    expect(empty.text).toBe('Request body is empty');
    await request(agent.app)
      .post('/v1/client/metadata')
      .set('Content-Type', 'application/json')
      .send('{nope')
      .expect(400);
    await request(agent.app)
      .post('/v1/client/metadata')
      .send({ Meta: { a: 1 } })
      .expect(400);
  });

  it('a body over 1 MiB is 413 and nothing is stored', async () => {
    const huge = JSON.stringify({ Meta: { big: 'x'.repeat(2 << 20) } });
    const res = await request(agent.app)
      .post('/v1/client/metadata')
      .set('Content-Type', 'application/json')
      .send(huge);
    expect(res.status).toBe(413);
    expect(res.text).toMatch(/^request body: request entity too large/);
    const after = await request(agent.app).get('/v1/client/metadata').expect(200);
    expect(after.body.Dynamic).toEqual({});
  });

  it('methods other than GET and POST are 405 Invalid method', async () => {
    const r = await request(agent.app).delete('/v1/client/metadata').expect(405);
    expect(r.text).toBe('Invalid method');
    await request(agent.app).put('/v1/client/metadata').expect(405);
  });

  it('node_id of this node is served; another valid node id is 404 Unknown node', async () => {
    await request(agent.app).get(`/v1/client/metadata?node_id=${agent.nodeId}`).expect(200);
    const other = '8b0d7c9e-1111-2222-3333-444455556666';
    const r = await request(agent.app).get(`/v1/client/metadata?node_id=${other}`).expect(404);
    expect(r.text).toBe(`Unknown node ${other}`);
    const p = await request(agent.app)
      .post(`/v1/client/metadata`)
      .send({ NodeID: other, Meta: { a: 'b' } })
      .expect(404);
    expect(p.text).toContain('Unknown node');
  });

  it('?pretty and ?pretty=1 indent by 4 spaces with a trailing newline; pretty=0 is compact', async () => {
    for (const q of ['?pretty', '?pretty=1', '?pretty=false']) {
      const r = await request(agent.app).get(`/v1/client/metadata${q}`).expect(200);
      expect(r.text.endsWith('}\n')).toBe(true);
      expect(r.text).toContain('\n    "Dynamic": {}');
    }
    const c = await request(agent.app).get('/v1/client/metadata?pretty=0').expect(200);
    expect(c.text.endsWith('}')).toBe(true);
    expect(c.text).not.toContain('\n');
  });

  it('dynamic meta survives a restart and tombstones of keys no longer static are dropped', async () => {
    await request(agent.app)
      .post('/v1/client/metadata')
      .send({ Meta: { foo: 'bar', static_meta: null } })
      .expect(200);
    await agent.stop();
    agent = await boot(t.dir, ['static_meta=true']);
    let r = await request(agent.app).get('/v1/client/metadata').expect(200);
    expect(r.body.Dynamic).toEqual({ foo: 'bar', static_meta: null });
    expect(r.body.Meta.static_meta).toBeUndefined();
    await agent.stop();
    agent = await boot(t.dir);
    r = await request(agent.app).get('/v1/client/metadata').expect(200);
    expect(r.body.Dynamic).toEqual({ foo: 'bar' });
    const onDisk = JSON.parse(fs.readFileSync(path.join(t.dir, 'client/meta.json'), 'utf8'));
    expect(onDisk).toEqual({ Dynamic: { foo: 'bar' } });
  });

  it('__proto__, constructor and toString are ordinary keys: applied, read back, persisted, unset', async () => {
    // Raw JSON: an object literal with a `__proto__` key would not carry it as a key.
    const post = (json: string) =>
      request(agent.app).post('/v1/client/metadata').set('Content-Type', 'application/json').send(json);
    const own = (o: Record<string, unknown>) => Object.keys(o).filter((k) => k !== 'dynamic_meta');
    const read = async () =>
      JSON.parse((await request(agent.app).get('/v1/client/metadata').expect(200)).text);
    let r = JSON.parse(
      (await post('{"Meta":{"__proto__":"p","constructor":"c","toString":"t"}}').expect(200)).text,
    );
    expect(r.Dynamic).toEqual(JSON.parse('{"__proto__":"p","constructor":"c","toString":"t"}'));
    expect(own(r.Dynamic)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(r.Meta.__proto__).toBe('p');
    expect(Object.hasOwn(r.Meta, '__proto__')).toBe(true);
    r = await read();
    expect(own(r.Dynamic)).toEqual(['__proto__', 'constructor', 'toString']);
    // Kept on disk and read back after a restart, next to a static `__proto__` from the flags.
    await agent.stop();
    agent = await boot(t.dir, ['__proto__=static', 'static_meta=true']);
    r = await read();
    expect(own(r.Dynamic)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.hasOwn(r.Static, '__proto__') && r.Static['__proto__']).toBe('static');
    expect(r.Meta['__proto__']).toBe('p');
    // Unset: a static key leaves a tombstone, a dynamic-only key goes.
    r = JSON.parse((await post('{"Meta":{"__proto__":null,"constructor":null}}').expect(200)).text);
    expect(Object.hasOwn(r.Meta, '__proto__')).toBe(false);
    expect(Object.hasOwn(r.Meta, 'constructor')).toBe(false);
    expect(r.Dynamic).toEqual(JSON.parse('{"__proto__":null,"toString":"t"}'));
    expect(Object.hasOwn(r.Dynamic, '__proto__')).toBe(true);
  });

  it('a torn temp file left by a crash is never read as state', async () => {
    await request(agent.app)
      .post('/v1/client/metadata')
      .send({ Meta: { foo: 'bar' } })
      .expect(200);
    await agent.stop();
    fs.writeFileSync(path.join(t.dir, 'client/.meta.json.deadbeef.tmp'), '{"Dynamic":{"foo":"to');
    agent = await boot(t.dir);
    const r = await request(agent.app).get('/v1/client/metadata').expect(200);
    expect(r.body.Dynamic).toEqual({ foo: 'bar' });
    expect(fs.existsSync(path.join(t.dir, 'client/.meta.json.deadbeef.tmp'))).toBe(false);
  });

  it('the node id is made once and kept across restarts', async () => {
    const first = agent.nodeId;
    expect(fs.readFileSync(path.join(t.dir, 'client/node-id'), 'utf8').trim()).toBe(first);
    await agent.stop();
    agent = await boot(t.dir);
    expect(agent.nodeId).toBe(first);
  });

  it('/v1/agent/self names the node and /v1/agent/health is ok', async () => {
    const r = await request(agent.app).get('/v1/agent/self').expect(200);
    expect(r.body.config.Client.NodeID).toBe(agent.nodeId);
    expect(r.body.member.Port).toBe(Number(new URL(agent.url).port));
    await request(agent.app)
      .get('/v1/agent/health')
      .expect(200, { client: { ok: true, message: 'ok' } });
  });
});

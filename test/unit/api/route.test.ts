import { ApiError, FleetgateClient, NetworkError, NodeDownError, readAllBody } from './client-helpers';
import { deadPort, sendJson, synBlackhole, tinyServer, type TinyServer } from './servers';

const ALLOC = '11111111-2222-3333-4444-555555555555';
const NODE = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

/** A gateway that knows one allocation on one node, and serves cat itself too. */
const gatewayFor = (nodeAddr: string, status: 'ready' | 'down' = 'ready'): Promise<TinyServer> =>
  tinyServer((req, res) => {
    const url = req.url ?? '';
    if (url.startsWith(`/v1/allocation/${ALLOC}`))
      return sendJson(res, 200, { ID: ALLOC, NodeID: NODE, Tasks: ['web'] });
    if (url.startsWith('/v1/allocation/'))
      return res.writeHead(404).end(`Unknown allocation "${url.split('/')[3]}"`);
    if (url.startsWith(`/v1/node/${NODE}`))
      return sendJson(res, 200, { ID: NODE, Name: 'n1', Status: status, HTTPAddr: nodeAddr });
    if (url.startsWith('/v1/client/fs/cat/')) return res.writeHead(200).end('from gateway');
    res.writeHead(404).end('resource not found');
  });

describe('direct-to-node decision (spec §7)', () => {
  const servers: TinyServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  const track = async (p: Promise<TinyServer>) => {
    const s = await p;
    servers.push(s);
    return s;
  };

  it('a reachable node serves the request directly', async () => {
    const node = await track(tinyServer((_req, res) => res.writeHead(200).end('from node')));
    const gw = await track(gatewayFor(node.hostPort));
    const lines: string[] = [];
    const client = new FleetgateClient({ address: gw.url, log: (l) => lines.push(l) });
    const opened = await client.cat(ALLOC, 'alloc/logs/web.stdout.0');
    expect(opened.via).toBe('node');
    expect(await readAllBody(opened.res)).toBe('from node');
    expect(gw.hits.some((h) => h.startsWith('/v1/client/'))).toBe(false);
    expect(lines.join('\n')).toMatch(/direct: node n1/);
  });

  it('an unreachable node address falls back to the gateway', async () => {
    const gw = await track(gatewayFor(`127.0.0.1:${await deadPort()}`));
    const lines: string[] = [];
    const client = new FleetgateClient({ address: gw.url, log: (l) => lines.push(l) });
    const opened = await client.cat(ALLOC, 'x');
    expect(opened.via).toBe('gateway');
    expect(await readAllBody(opened.res)).toBe('from gateway');
    expect(lines.join('\n')).toMatch(/unreachable \(ECONNREFUSED\)/);
  });

  it('a node that never completes the TCP handshake falls back after the connect timeout', async () => {
    const blackhole = await synBlackhole();
    try {
      const gw = await track(gatewayFor(`127.0.0.1:${blackhole.port}`));
      const lines: string[] = [];
      const client = new FleetgateClient({
        address: gw.url,
        nodeConnectTimeoutMs: 300,
        log: (l) => lines.push(l),
      });
      const t0 = Date.now();
      const opened = await client.cat(ALLOC, 'x');
      expect(opened.via).toBe('gateway');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(lines.join('\n')).toMatch(/ETIMEDOUT/);
      opened.res.resume();
    } finally {
      blackhole.close();
    }
  });

  it('a 403 from the node is final: no fallback to the gateway', async () => {
    const node = await track(tinyServer((_req, res) => res.writeHead(403).end('Permission denied')));
    const gw = await track(gatewayFor(node.hostPort));
    const client = new FleetgateClient({ address: gw.url });
    const err = await client.cat(ALLOC, 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(403);
    expect((err as ApiError).via).toBe('node');
    expect(gw.hits.some((h) => h.startsWith('/v1/client/'))).toBe(false);
  });

  it('a 404 from the node is final too', async () => {
    const node = await track(
      tinyServer((_req, res) => res.writeHead(404).end('stat alloc/x: no such file or directory')),
    );
    const gw = await track(gatewayFor(node.hostPort));
    const err = await new FleetgateClient({ address: gw.url }).cat(ALLOC, 'x').catch((e: unknown) => e);
    expect((err as ApiError).status).toBe(404);
    expect(gw.hits.some((h) => h.startsWith('/v1/client/'))).toBe(false);
  });

  it('a down node fails at once, contacting neither the node nor the gateway fs endpoint', async () => {
    const node = await track(tinyServer((_req, res) => res.writeHead(200).end('from node')));
    const gw = await track(gatewayFor(node.hostPort, 'down'));
    const t0 = Date.now();
    const err = await new FleetgateClient({ address: gw.url })
      .logs(ALLOC, { task: 'web', type: 'stdout', follow: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeDownError);
    expect(Date.now() - t0).toBeLessThan(500);
    expect(node.hits).toEqual([]);
    expect(gw.hits.some((h) => h.startsWith('/v1/client/'))).toBe(false);
  });

  it('--direct never goes straight to the gateway without a lookup', async () => {
    const node = await track(tinyServer((_req, res) => res.writeHead(200).end('from node')));
    const gw = await track(gatewayFor(node.hostPort));
    const opened = await new FleetgateClient({ address: gw.url, direct: 'never' }).cat(ALLOC, 'x');
    expect(opened.via).toBe('gateway');
    expect(await readAllBody(opened.res)).toBe('from gateway');
    expect(gw.hits.filter((h) => h.startsWith('/v1/node/'))).toEqual([]);
    expect(node.hits).toEqual([]);
  });

  it('--direct always reports the network error instead of falling back', async () => {
    const gw = await track(gatewayFor(`127.0.0.1:${await deadPort()}`));
    const err = await new FleetgateClient({ address: gw.url, direct: 'always' })
      .cat(ALLOC, 'x')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).via).toBe('node');
  });

  it('an unknown allocation is a 404 from the lookup', async () => {
    const gw = await track(gatewayFor('127.0.0.1:1'));
    const err = await new FleetgateClient({ address: gw.url })
      .cat('99999999-2222-3333-4444-555555555555', 'x')
      .catch((e: unknown) => e);
    expect((err as ApiError).status).toBe(404);
    expect((err as ApiError).body).toMatch(/^Unknown allocation/);
  });

  it('the token travels as X-Nomad-Token to the node', async () => {
    let seen: string | undefined;
    const node = await track(
      tinyServer((req, res) => {
        seen = req.headers['x-nomad-token'] as string | undefined;
        res.writeHead(200).end('ok');
      }),
    );
    const gw = await track(gatewayFor(node.hostPort));
    const opened = await new FleetgateClient({ address: gw.url, token: 'secret-jwt' }).cat(ALLOC, 'x');
    await readAllBody(opened.res);
    expect(seen).toBe('secret-jwt');
  });

  it('a gateway that is not running is a NetworkError naming its address', async () => {
    const port = await deadPort();
    const err = await new FleetgateClient({ address: `127.0.0.1:${port}` }).nodes().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).message).toContain(`http://127.0.0.1:${port}`);
  });
});

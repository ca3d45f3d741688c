import {
  FleetgateClient,
  PrefixError,
  resolveAllocId,
  resolveNodeId,
  ShortPrefixError,
} from './client-helpers';
import { sendJson, tinyServer, type TinyServer } from './servers';

const allocs = [
  'abcdef12-0000-4000-8000-000000000001',
  'abcdef12-0000-4000-8000-000000000002',
  '12345678-0000-4000-8000-000000000003',
];
const nodes = [
  { ID: 'aaaa1111-0000-4000-8000-000000000001', Name: 'node-1', Status: 'ready' },
  { ID: 'aaaa1111-0000-4000-8000-100000000002', Name: 'node-2', Status: 'ready' },
];

describe('ID prefixes (at least 8 characters) and node names', () => {
  let gw: TinyServer;
  let client: FleetgateClient;
  beforeAll(async () => {
    gw = await tinyServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/v1/allocations')
        return sendJson(
          res,
          200,
          allocs
            .filter((a) => a.startsWith(url.searchParams.get('prefix') ?? ''))
            .map((ID) => ({ ID, NodeID: nodes[0]!.ID })),
        );
      if (url.pathname === '/v1/nodes') return sendJson(res, 200, nodes);
      res.writeHead(404).end();
    });
    client = new FleetgateClient({ address: gw.url });
  });
  afterAll(() => gw.close());

  it('a full UUID is used as is, without a lookup', async () => {
    const before = gw.hits.length;
    expect(await resolveAllocId(client, allocs[2]!)).toBe(allocs[2]);
    expect(gw.hits.length).toBe(before);
  });
  it('a unique prefix resolves', async () => {
    expect(await resolveAllocId(client, '12345678')).toBe(allocs[2]);
    expect(await resolveNodeId(client, 'aaaa1111-0000-4000-8000-1')).toBe(nodes[1]!.ID);
  });
  it('an ambiguous prefix lists the candidates', async () => {
    const err = await resolveAllocId(client, 'abcdef12').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrefixError);
    expect((err as PrefixError).candidates).toEqual(allocs.slice(0, 2));
    expect((err as Error).message).toMatch(
      /matches 2 allocations, give more characters:\n {2}abcdef12-.*1\n {2}abcdef12-.*2$/,
    );
  });
  it('no match, and too short', async () => {
    expect(
      ((await resolveAllocId(client, 'ffffffff').catch((e: unknown) => e)) as PrefixError).candidates,
    ).toEqual([]);
    expect(await resolveAllocId(client, 'abc').catch((e: unknown) => e)).toBeInstanceOf(ShortPrefixError);
  });
  it('a node can be named by its exact name', async () => {
    expect(await resolveNodeId(client, 'node-2')).toBe(nodes[1]!.ID);
    expect(await resolveNodeId(client, 'aaaa1111').catch((e: unknown) => e)).toBeInstanceOf(PrefixError);
  });
});

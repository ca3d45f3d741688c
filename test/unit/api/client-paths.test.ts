import { createMatcher } from '../../../src/http/match';
import { ROUTE_IDS, ROUTES, UNKNOWN_UNDER, type RouteId } from '../../../src/wire/routes';
import { FleetgateClient, readAllBody } from './client-helpers';
import { tinyServer, type TinyServer } from './servers';

const ALLOC = '11111111-2222-3333-4444-555555555555';
const NODE = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

/**
 * The typed client builds its URLs from the route rows: every request it sends for a row must be
 * matched back to that row by the kernel's own matcher, and every row must be reachable.
 */
describe('typed client URLs come from the route rows', () => {
  let gw: TinyServer;
  const sent: Array<{ method: string; url: string }> = [];
  beforeAll(async () => {
    gw = await tinyServer((req, res) => {
      sent.push({ method: req.method ?? '', url: req.url ?? '' });
      req.resume();
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  afterAll(() => gw.close());

  it('each call is matched to its row, and every row has a call', async () => {
    const client = new FleetgateClient({ address: gw.url, direct: 'never' });
    const calls: Array<[RouteId, () => Promise<unknown>]> = [
      ['metadata.read', () => client.metaRead(NODE)],
      ['metadata.apply', () => client.metaApply(NODE, { a: 'b' })],
      ['stats.host', () => client.nodeStats(NODE)],
      ['gc.all', () => client.gcNode(NODE)],
      ['alloc.stats', () => client.allocStats(ALLOC, 'web')],
      ['alloc.gc', () => client.gcAlloc(ALLOC)],
      ['fs.ls', () => client.ls(ALLOC, '/')],
      ['fs.stat', () => client.stat(ALLOC, 'x')],
      ['fs.cat', async () => readAllBody((await client.cat(ALLOC, 'x')).res)],
      ['fs.readat', async () => readAllBody((await client.readAt(ALLOC, 'x', 0, 1)).res)],
      ['fs.stream', async () => readAllBody((await client.stream(ALLOC, { path: 'x', follow: false })).res)],
      [
        'fs.logs',
        async () =>
          readAllBody((await client.logs(ALLOC, { task: 'web', type: 'stdout', follow: false })).res),
      ],
      ['alloc.stop', () => client.stopAlloc(ALLOC)],
    ];
    // `self` rows (metrics) are about the answering process, not a node's API: no client call.
    const clientRows = ROUTE_IDS.filter((id) => ROUTES[id].target !== 'self');
    expect(new Set(calls.map(([id]) => id))).toEqual(new Set(clientRows));

    const matcher = createMatcher(ROUTES, UNKNOWN_UNDER);
    for (const [id, call] of calls) {
      sent.length = 0;
      await call();
      expect(sent).toHaveLength(1);
      const { method, url } = sent[0]!;
      const m = matcher.match(method, new URL(url, gw.url).pathname);
      expect({ id, matched: m?.id, alloc: m?.rawAllocId }).toEqual({
        id,
        matched: id,
        alloc: ROUTES[id].target === 'alloc' ? ALLOC : '',
      });
    }
  });
});

/**
 * One process of simulated agents for bench/scale.bench.ts: registers `count` nodes with `allocs`
 * allocations each and heartbeats every node at the real interval, through the registry adapter
 * — the calls a gateway makes on behalf of each agent it serves. Driven over IPC by the bench:
 * `nodes` → registers the nodes, `allocs` → stores the allocations, `beat` → heartbeats until
 * `stop`. Replies `{ done: phase, ms }` after each phase.
 */
import { randomUUID } from 'node:crypto';
import { RedisRegistry } from '../src/registry/redis';
import { asAllocId, asNodeId, type AllocRecord, type NodeId } from '../src/wire';

const [url, prefix, countArg, allocsArg, intervalArg] = process.argv.slice(2);
const count = Number(countArg);
const perNode = Number(allocsArg);
const intervalMs = Number(intervalArg);
const ttlMs = intervalMs * 3;

const ids: NodeId[] = Array.from({ length: count }, () => asNodeId(randomUUID()));

/** At most `width` calls in flight: a registrar process is one connection, like a gateway's. */
const inBatches = async <T>(items: T[], width: number, f: (x: T) => Promise<unknown>) => {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(f));
};

const main = async () => {
  const reg = await RedisRegistry.connect({ url: url!, prefix: prefix!, commandTimeoutMs: 5000 });
  let beating = false;
  let failures = 0;
  const timers: NodeJS.Timeout[] = [];
  const send = (m: object) => process.send?.(m);
  process.on('message', (m: { phase: string }) => {
    void (async () => {
      const t0 = Date.now();
      if (m.phase === 'nodes') {
        await inBatches([...ids.keys()], 200, (i) =>
          reg.putNode(
            {
              ID: ids[i]!,
              Name: `sim-${i}`,
              Datacenter: 'dc1',
              HTTPAddr: `10.0.${(i >> 8) & 255}.${i & 255}:4647`,
              AdvertiseURL: `http://10.0.${(i >> 8) & 255}.${i & 255}:4647`,
              Meta: { rack: `r${i % 40}`, pool: 'sim' },
              Version: '0.1.0',
            },
            ttlMs,
          ),
        );
        send({ done: 'nodes', ms: Date.now() - t0 });
      } else if (m.phase === 'allocs') {
        const allocs: AllocRecord[] = ids.flatMap((id) =>
          Array.from({ length: perNode }, (_, j) => ({
            ID: asAllocId(randomUUID()),
            NodeID: id,
            Namespace: 'default',
            JobID: `job-${j % 25}`,
            TaskGroup: 'web',
            Name: `job-${j % 25}.web[${j}]`,
            Tasks: ['app', 'sidecar'],
            ClientStatus: 'running' as const,
            CreateTime: Date.now(),
            ModifyTime: Date.now(),
          })),
        );
        await inBatches(allocs, 200, (a) => reg.putAlloc(a));
        // A sample for the cold lookups (every ID would be megabytes over IPC).
        const step = Math.max(1, Math.floor(allocs.length / 4000));
        send({
          done: 'allocs',
          ms: Date.now() - t0,
          ids: allocs.filter((_, i) => i % step === 0).map((a) => a.ID),
        });
      } else if (m.phase === 'beat') {
        beating = true;
        // Every node on its own timer at the real interval, phases spread over the interval.
        ids.forEach((id, i) => {
          const start = setTimeout(
            () => {
              const beat = () => {
                if (!beating) return;
                reg.heartbeat(id, ttlMs).catch(() => (failures += 1));
              };
              beat();
              timers.push(setInterval(beat, intervalMs));
            },
            Math.floor((i / ids.length) * intervalMs),
          );
          timers.push(start);
        });
        send({ done: 'beat', ms: 0 });
      } else if (m.phase === 'stop') {
        beating = false;
        for (const t of timers) clearTimeout(t);
        send({ done: 'stop', failures });
        await reg.close();
        process.exit(0);
      }
    })().catch((e: Error) => {
      send({ error: e.message });
      process.exit(1);
    });
  });
  send({ ready: true });
};

void main();

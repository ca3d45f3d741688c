import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { startAgent, type RunningAgent } from '../../src/agent/agent';
import { loadAgentConfig } from '../../src/config/agent';
import type { AllocResourceUsage, HostStats } from '../../src/wire';
import { psChildren } from '../helpers/processes';
import { tmpDir } from '../helpers/tmp';
import { eventually, sleep } from '../helpers/eventually';

describe('agent allocation and host stats come from the background sampler', () => {
  let t: ReturnType<typeof tmpDir>;
  let agent: RunningAgent;

  beforeEach(async () => {
    t = tmpDir();
    const config = path.join(t.dir, 'agent.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        allocations: [
          { job: 'web', tasks: [{ name: 'web', command: 'sh', args: ['-c', 'sleep 30 & sleep 30 & wait'] }] },
        ],
      }),
    );
    agent = await startAgent(
      loadAgentConfig({ config, dataDir: path.join(t.dir, 'data'), httpAddr: '127.0.0.1:0' }, {}),
    );
  });
  afterEach(async () => {
    await agent.stop();
    t.cleanup();
  });

  it("a running task's stats list its process and children, refreshed once per second", async () => {
    const id = agent.allocIds[0]!;
    const root = [...agent.services.runner.runningTasks()][0]!;
    await eventually(() => psChildren(root.pid).length >= 2, 5000, 'two child processes');
    await sleep(1100); // the next collection sees both children
    const get = async () =>
      (await request(agent.app).get(`/v1/client/allocation/${id}/stats`).expect(200))
        .body as AllocResourceUsage;
    const a = await get();
    const b = await get();
    const pids = Object.keys(a.Tasks['web']!.Pids!).map(Number).sort();
    expect(pids).toEqual([root.pid, ...psChildren(root.pid)].sort());
    expect(a.Tasks['web']!.ResourceUsage.MemoryStats.RSS).toBeGreaterThan(0);
    // Back-to-back requests read the same sample (or, if a collection fell between them, two
    // samples an interval apart); collecting per request would give times milliseconds apart.
    const sameOrInterval = (x: number, y: number) => x === y || y - x > 0.5e9;
    expect(sameOrInterval(a.Timestamp, b.Timestamp)).toBe(true);
    await sleep(1100);
    expect((await get()).Timestamp).toBeGreaterThan(a.Timestamp);

    const h1 = (await request(agent.app).get('/v1/client/stats').expect(200)).body as HostStats;
    const h2 = (await request(agent.app).get('/v1/client/stats').expect(200)).body as HostStats;
    expect(sameOrInterval(h1.Timestamp, h2.Timestamp)).toBe(true);
  });

  it('stopping the agent removes the task cgroups it made', async () => {
    const root = [...agent.services.runner.runningTasks()][0]!;
    const dir = root.cgroup?.dir;
    await agent.stop();
    // Where the host gives the agent no cgroup v2 hierarchy there is nothing to remove.
    if (dir !== undefined) {
      expect(fs.existsSync(dir)).toBe(false);
      expect(fs.existsSync(path.dirname(dir))).toBe(false);
    }
  });
});

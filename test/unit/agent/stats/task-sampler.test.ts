import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { TaskCgroups } from '../../../../src/agent/cgroups/task-cgroups';
import { TaskStatsSampler, type RunningTask } from '../../../../src/agent/stats/task-sampler';
import { silentLogger } from '../../../../src/log/logger';
import { psChildren } from '../../../helpers/processes';
import { tmpDir } from '../../../helpers/tmp';
import { sleep } from '../../../helpers/eventually';

const procCpuNs = (pid: number): number => {
  const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 1e7;
};

const vmRss = (pid: number): number =>
  Number(/\nVmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

const waitUntil = async (fn: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(20);
  }
};

/** Runs real task processes the way the runner does (own process group, own cgroup if any). */
const harness = (cgroups: TaskCgroups) => {
  const tasks: Array<RunningTask & { child: ChildProcess }> = [];
  const sampler = new TaskStatsSampler({ runningTasks: () => tasks }, silentLogger(), 60_000);
  const run = (script: string, task = 'web'): RunningTask => {
    const allocId = randomUUID();
    const cgroup = cgroups.prepare(`${allocId}.${task}`);
    const [cmd, args] = cgroup ? TaskCgroups.wrap(cgroup, 'sh', ['-c', script]) : ['sh', ['-c', script]];
    const child = spawn(cmd, args, { detached: true, stdio: 'ignore' });
    const t = { allocId, task, pid: child.pid!, cgroup, child };
    tasks.push(t);
    return t;
  };
  const stopAll = async () => {
    for (const t of tasks.splice(0)) {
      try {
        process.kill(-t.pid, 'SIGKILL');
      } catch {
        // gone
      }
      if (t.child.exitCode === null && t.child.signalCode === null)
        await new Promise((r) => t.child.once('exit', r));
      await waitUntil(() => t.cgroup === undefined || t.cgroup.remove());
    }
  };
  return { sampler, run, stopAll };
};

const pidsOf = async (sampler: TaskStatsSampler, t: RunningTask): Promise<number[]> =>
  Object.keys((await sampler.latest(t.allocId, t.task))!.Pids!).map(Number);

const hostGroups = TaskCgroups.open(randomUUID(), silentLogger());
const modes: Array<[string, () => TaskCgroups]> = [
  ['process tree (no cgroup)', () => TaskCgroups.open(randomUUID(), silentLogger(), false)],
];
if (hostGroups.active) modes.push(['cgroup v2', () => hostGroups]);
else it.skip('cgroup v2 mode: this host gives the agent no writable cgroup v2 hierarchy', () => undefined);

afterAll(() => hostGroups.close());

describe.each(modes)('task stats sampler, %s', (mode, groupsOf) => {
  let h: ReturnType<typeof harness>;
  beforeEach(() => {
    h = harness(groupsOf());
  });
  afterEach(() => h.stopAll());

  it('counts the task process and its children; an exited child disappears', async () => {
    const t = h.run('sleep 30 & sleep 2 & wait');
    await waitUntil(() => psChildren(t.pid).length === 2);
    const children = psChildren(t.pid);
    await h.sampler.tick();
    expect((await pidsOf(h.sampler, t)).sort()).toEqual([t.pid, ...children].sort());
    const usage = (await h.sampler.latest(t.allocId, t.task))!;
    const rss = [t.pid, ...children].reduce((n, p) => n + usage.Pids![String(p)]!.MemoryStats.RSS, 0);
    expect(usage.ResourceUsage.MemoryStats.RSS).toBe(rss);

    await waitUntil(() => psChildren(t.pid).length === 1, 10_000);
    await h.sampler.tick();
    const left = await pidsOf(h.sampler, t);
    expect(left.sort()).toEqual([t.pid, ...psChildren(t.pid)].sort());
    expect(left).toHaveLength(2);
  });

  it('memory and CPU match /proc over the interval', async () => {
    // A busy loop in a child: CPU well above zero, measured against /proc read around two samples.
    const t = h.run('exec node -e "const end = Date.now() + 20000; while (Date.now() < end);"');
    await sleep(200);
    const before = procCpuNs(t.pid);
    const t0 = performance.now();
    await h.sampler.tick();
    await sleep(600);
    await h.sampler.tick();
    const wallNs = (performance.now() - t0) * 1e6;
    const cpuNs = procCpuNs(t.pid) - before;
    const u = (await h.sampler.latest(t.allocId, t.task))!;
    const rssNow = vmRss(t.pid);
    const cpu = u.ResourceUsage.CpuStats;
    expect(cpu.Measured).toEqual(['System Mode', 'User Mode', 'Percent']);
    expect(cpu.Percent).toBeGreaterThan(0);
    // The sampler's interval lies inside the bracket, so its CPU time is at most /proc's, and
    // at least /proc's less what the bracket adds (the two sample reads) and one clock tick.
    const samplerCpuNs = (cpu.Percent / 100) * wallNs;
    expect(samplerCpuNs).toBeLessThanOrEqual(cpuNs * 1.1 + 20e6);
    expect(samplerCpuNs).toBeGreaterThanOrEqual(cpuNs * 0.75 - 20e6);
    expect(cpu.UserMode + cpu.SystemMode).toBeCloseTo(cpu.Percent, 5);
    // A busy node process's RSS moves a little between two reads; within 10 %.
    expect(Math.abs(u.ResourceUsage.MemoryStats.RSS - rssNow)).toBeLessThan(rssNow * 0.1);
    expect(u.ResourceUsage.MemoryStats.Measured).toContain('RSS');
  });

  it('a task the sampler has not seen yet is sampled on first request; a stopped one is forgotten', async () => {
    const t = h.run('exec sleep 30');
    // In cgroup mode the task moves itself into its group as its first step.
    await waitUntil(() => t.cgroup === undefined || t.cgroup.pids().includes(t.pid));
    const u = await h.sampler.latest(t.allocId, t.task);
    expect(Object.keys(u!.Pids!)).toEqual([String(t.pid)]);
    expect(u!.ResourceUsage.CpuStats.Percent).toBe(0); // first sample: no interval yet
    await h.stopAll();
    await h.sampler.tick();
    expect(await h.sampler.latest(t.allocId, t.task)).toBeUndefined();
  });

  if (mode === 'cgroup v2')
    it('an orphaned grandchild (reparented away from the task) still counts', async () => {
      // The subshell forks a sleep and exits at once: the sleep's parent is no longer the task.
      const t = h.run('(sleep 30 &); exec sleep 30');
      let seen: number[] = [];
      const end = Date.now() + 5000;
      while (seen.length < 2 && Date.now() < end) {
        await sleep(100);
        await h.sampler.tick();
        seen = await pidsOf(h.sampler, t);
      }
      expect(seen).toHaveLength(2);
      expect(psChildren(t.pid)).toEqual([]);
    });

  if (mode === 'cgroup v2')
    it('a task that is not in its group (the move was refused) is followed by its tree instead', async () => {
      const groups = groupsOf();
      const t = h.run('sleep 30 & wait');
      // Point the sampler at an empty group the task never entered.
      const empty = groups.prepare(`${randomUUID()}.empty`)!;
      try {
        const wrong = { ...t, allocId: randomUUID(), cgroup: empty };
        const sampler = new TaskStatsSampler({ runningTasks: () => [wrong] }, silentLogger(), 60_000);
        await waitUntil(() => psChildren(t.pid).length === 1);
        await sampler.tick();
        expect(await pidsOf(sampler, wrong)).toEqual([]);
        await sleep(600);
        await sampler.tick();
        expect((await pidsOf(sampler, wrong)).sort()).toEqual([t.pid, ...psChildren(t.pid)].sort());
      } finally {
        empty.remove();
      }
    });
});

describe('task cgroups', () => {
  it('a parent directory outside any cgroup hierarchy turns groups off, and stats still follow the tree', async () => {
    const t = tmpDir();
    try {
      const groups = TaskCgroups.open(randomUUID(), silentLogger(), t.dir);
      const h = harness(groups);
      expect(groups.active).toBe(false);
      const task = h.run('sleep 30 & wait');
      expect(task.cgroup).toBeUndefined();
      await waitUntil(() => psChildren(task.pid).length === 1);
      await h.sampler.tick();
      expect(await pidsOf(h.sampler, task)).toHaveLength(2);
      await h.stopAll();
      expect(fs.readdirSync(t.dir)).toEqual([]);
    } finally {
      t.cleanup();
    }
  });
});

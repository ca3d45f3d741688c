import { AllocStatsCollector } from '../../../../src/agent/stats/alloc';
import { TaskStatsSampler } from '../../../../src/agent/stats/task-sampler';
import { silentLogger } from '../../../../src/log/logger';
import { asAllocId, type AllocManifest } from '../../../../src/wire';

/** Task names come from manifests any program may write: each is an ordinary key of `Tasks`. */
describe('allocation stats keyed by task name', () => {
  it('a task named __proto__ or constructor is listed like any other', async () => {
    const sampler = new TaskStatsSampler({ runningTasks: () => [] }, silentLogger());
    const manifest: AllocManifest = {
      ID: asAllocId('11111111-2222-3333-4444-555555555555'),
      Namespace: 'default',
      JobID: 'j',
      TaskGroup: 'g',
      Name: 'j.g[0]',
      Tasks: ['__proto__', 'constructor', 'web'],
      ClientStatus: 'running',
      CreateTime: 1,
      ModifyTime: 1,
    };
    const usage = await new AllocStatsCollector(sampler).usage(manifest, '');
    const wire = JSON.parse(JSON.stringify(usage)) as { Tasks: Record<string, { Pids: unknown }> };
    expect(Object.keys(wire.Tasks)).toEqual(['__proto__', 'constructor', 'web']);
    expect(wire.Tasks['__proto__']).toMatchObject({ Pids: null });
    const one = await new AllocStatsCollector(sampler).usage(manifest, '__proto__');
    expect(Object.keys(JSON.parse(JSON.stringify(one)).Tasks)).toEqual(['__proto__']);
  });
});

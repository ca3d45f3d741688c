import path from 'node:path';
import { startFleetgate, type FleetgateProcess } from '../helpers/fleetgate-process';
import { joinTokenFile } from '../helpers/join';
import { freePort } from '../helpers/ports';
import { startRedis, type RedisServer } from '../helpers/redis';
import { tmpDir } from '../helpers/tmp';
import {
  agentArgs,
  allocStatus,
  httpStatus,
  NumberWriter,
  numbersOf,
  seedAlloc,
  sleep,
  spawnCli,
  waitFor,
} from './cli-stack';

/** A loaded machine (2 cores, several suites at once) has taken over 15 s to start one process. */
const STARTUP_MS = 45_000;
const start = (args: string[]): Promise<FleetgateProcess> => startFleetgate(args, {}, STARTUP_MS);

/**
 * `alloc logs -f` on a task writing numbered lines, while the agent is killed and restarted and
 * the gateway is killed and restarted: the CLI prints every number exactly once, across log
 * rotations, and ends by itself once the allocation is terminal and drained.
 */
describe('alloc logs -f resumes across agent and gateway restarts', () => {
  let redis: RedisServer;
  const procs: FleetgateProcess[] = [];
  const dirs: Array<() => void> = [];
  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await redis?.stop();
    dirs.forEach((c) => c());
  });

  // While the agent is down the gateway reports the allocation `lost` (derived from the node's
  // lapsed heartbeat). The CLIs once took that for the end of the allocation and exited 0 with
  // half the log, whenever the restarted agent took longer than their drain window to come back
  // (a loaded machine): the test below holds the agent down until both CLIs have said they are
  // still reconnecting, so that case is exercised on every run, loaded or not.
  it('every number exactly once, with -direct auto and -direct never', async () => {
    redis = await startRedis();
    const { dir, cleanup } = tmpDir();
    dirs.push(cleanup);
    const alloc = seedAlloc(dir, 'counter');
    const writer = new NumberWriter(alloc.logsDir, 'counter', 3000);
    const agentPort = await freePort();
    const gwPort = await freePort();
    const gArgs = ['gateway', '--http-addr', `127.0.0.1:${gwPort}`, '--redis', redis.url];
    // Each process is recorded as soon as it runs, so a failed start of the next one leaves none behind.
    let gateway = await start(gArgs);
    procs.push(gateway);
    const join = await joinTokenFile(gateway.url, path.join(dir, 'join'));
    const aArgs = agentArgs(agentPort, dir, 'resume-node', gateway.url, join);
    let agent = await start(aArgs);
    procs.push(agent);
    const gw = gateway.url;
    await waitFor(
      'alloc registered',
      async () => (await httpStatus(`${gw}/v1/allocation/${alloc.id}`)) === 200,
    );
    writer.start();

    const env = { FLEETGATE_ADDR: gw };
    const direct = spawnCli(['alloc', 'logs', '-f', alloc.id.slice(0, 8), '-give-up', '30s'], env);
    const viaGw = spawnCli(['alloc', 'logs', '-f', '-direct', 'never', alloc.id, 'counter'], env);
    const lines = (c: typeof direct) => numbersOf(c.stdout()).length;
    await waitFor('first output', () => lines(direct) > 200 && lines(viaGw) > 200);

    // Agent restart: both streams drop (the node serves both paths). The agent stays down until
    // the gateway calls the allocation lost and both CLIs have reported that they keep trying.
    await agent.stop('SIGKILL');
    await waitFor('allocation reported lost', async () => (await allocStatus(gw, alloc.id)) === 'lost');
    await waitFor(
      'both CLIs report they are still reconnecting',
      () => /still reconnecting/.test(direct.stderr()) && /still reconnecting/.test(viaGw.stderr()),
    );
    expect([direct.proc.exitCode, viaGw.proc.exitCode]).toEqual([null, null]);
    agent = await start(aArgs);
    procs.push(agent);
    const afterAgent = writer.n;
    // 40 s: in a full parallel run the restarted agent alone has taken over 10 s to come up.
    await waitFor(
      'resumed after agent restart',
      () =>
        numbersOf(direct.stdout()).includes(afterAgent + 100) &&
        numbersOf(viaGw.stdout()).includes(afterAgent + 100),
      40000,
    ).catch((err: Error) => {
      // Say which stream did not resume and what each CLI said, for whoever debugs a failure.
      const tail = (c: typeof direct) =>
        `last ${numbersOf(c.stdout()).slice(-1)[0]}; stderr: ${c.stderr().slice(-600)}`;
      throw new Error(
        `${err.message} (writer at ${writer.n}, needed ${afterAgent + 100})\ndirect: ${tail(direct)}\nvia gateway: ${tail(viaGw)}`,
      );
    });

    // Gateway restart: the gateway-path stream drops (the direct one need not).
    await gateway.stop('SIGKILL');
    await sleep(500);
    gateway = await start(gArgs);
    procs.push(gateway);
    const afterGw = writer.n;
    await waitFor(
      'resumed after gateway restart',
      () => numbersOf(viaGw.stdout()).includes(afterGw + 100),
      20000,
    );

    writer.stop();
    const total = writer.n;
    expect(writer.files).toBeGreaterThan(3);
    alloc.setStatus('complete');
    const [c1, c2] = await Promise.all([direct.exited, viaGw.exited]);
    const want = Array.from({ length: total }, (_, i) => i + 1);
    expect(numbersOf(direct.stdout())).toEqual(want);
    expect(numbersOf(viaGw.stdout())).toEqual(want);
    expect([c1, c2]).toEqual([0, 0]);
    expect(viaGw.stderr()).toMatch(/resumed via gateway/);
    expect(direct.stderr()).toMatch(/resumed via (node|gateway)/);
  }, 180_000);
});

describe('alloc fs -f resumes at the last offset after an agent restart', () => {
  it('every number exactly once', async () => {
    const redis = await startRedis();
    const { dir, cleanup } = tmpDir();
    const alloc = seedAlloc(dir, 'counter');
    const writer = new NumberWriter(alloc.logsDir, 'counter', Number.MAX_SAFE_INTEGER);
    const gateway = await start(['gateway', '--http-addr', '127.0.0.1:0', '--redis', redis.url]);
    const join = await joinTokenFile(gateway.url, path.join(dir, 'join'));
    const aArgs = agentArgs(await freePort(), dir, 'fs-node', gateway.url, join);
    let agent = await start(aArgs);
    try {
      await waitFor(
        'alloc registered',
        async () => (await httpStatus(`${gateway.url}/v1/allocation/${alloc.id}`)) === 200,
      );
      writer.start();
      const f = spawnCli(['alloc', 'fs', '-f', alloc.id, 'alloc/logs/counter.stdout.0'], {
        FLEETGATE_ADDR: gateway.url,
      });
      await waitFor('first output', () => numbersOf(f.stdout()).length > 200);
      await agent.stop('SIGKILL');
      await sleep(600);
      agent = await start(aArgs);
      const after = writer.n;
      await waitFor('resumed', () => numbersOf(f.stdout()).includes(after + 100), 20000);
      writer.stop();
      const total = writer.n;
      await waitFor('drained', () => numbersOf(f.stdout()).includes(total), 10000);
      f.proc.kill('SIGINT');
      await f.exited;
      expect(numbersOf(f.stdout())).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(f.stderr()).toMatch(/resumed via/);
    } finally {
      writer.stop();
      await gateway.stop('SIGKILL');
      await agent.stop('SIGKILL');
      await redis.stop();
      cleanup();
    }
  }, 120_000);
});

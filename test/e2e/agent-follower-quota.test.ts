import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startAgent, type RunningAgent } from '../../src/agent/agent';
import { AgentConfigSchema } from '../../src/config/agent';
import { validate } from '../../src/config/sources';
import { localLink } from '../../src/agent/registration/local-link';
import { silentLogger } from '../../src/log/logger';
import { NodeAdmission } from '../../src/registry/admission';
import { MemoryRegistry } from '../../src/registry/memory';
import { seedAlloc, type SeededAlloc } from '../helpers/seed-alloc';
import { tmpDir } from '../helpers/tmp';
import { eventually } from '../helpers/eventually';

/** A real agent (in-process, real port, real files) with follower limits 2 per allocation, 3 in total. */
describe('agent follower quota: per allocation and in total, open streams never cut', () => {
  let agent: RunningAgent;
  let a: SeededAlloc;
  let b: SeededAlloc;
  let cleanup: () => void;
  const open: http.ClientRequest[] = [];

  beforeAll(async () => {
    const t = tmpDir();
    cleanup = t.cleanup;
    a = seedAlloc(t.dir);
    b = seedAlloc(t.dir);
    for (const s of [a, b]) fs.writeFileSync(path.join(s.logsDir, 'web.stdout.0'), 'hello\n');
    const config = validate(AgentConfigSchema, {
      http_addr: '127.0.0.1:0',
      data_dir: t.dir,
      max_followers_per_alloc: 2,
      max_followers_total: 3,
    });
    const registry = new MemoryRegistry();
    agent = await startAgent(config, {
      link: async (id) => localLink(registry, new NodeAdmission(registry, silentLogger()), id),
    });
    // Manifests are adopted within a second.
    await eventually(() => agent.services.manifests.get(b.id) !== undefined, 2500);
  });
  afterAll(async () => {
    for (const r of open) r.destroy();
    await agent.stop();
    cleanup();
  });

  /** Opens a follow and resolves with its status once headers arrive (the stream stays open). */
  const follow = (
    id: string,
    query = 'follow=true',
  ): Promise<{ status: number; retryAfter?: string; body: Promise<string> }> =>
    new Promise((resolve, reject) => {
      const req = http.get(
        `${agent.url}/v1/client/fs/logs/${id}?task=web&type=stdout&plain=true&${query}`,
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          const body = new Promise<string>((r) => res.once('end', () => r(text)));
          resolve({
            status: res.statusCode ?? 0,
            ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}),
            body,
          });
        },
      );
      req.on('error', reject);
      open.push(req);
    });

  it('refuses the third follower of one allocation and the fourth in total, with 429 and Retry-After', async () => {
    expect((await follow(a.id)).status).toBe(200);
    expect((await follow(a.id)).status).toBe(200);
    const perAlloc = await follow(a.id);
    expect(perAlloc.status).toBe(429);
    expect(perAlloc.retryAfter).toBe('1');
    expect(await perAlloc.body).toContain('max_followers_per_alloc=2');
    // A non-follow read holds no watcher and is not counted.
    const once = await follow(a.id, 'follow=false');
    expect([once.status, await once.body]).toEqual([200, 'hello\n']);
    expect((await follow(b.id)).status).toBe(200);
    const total = await follow(b.id);
    expect(total.status).toBe(429);
    expect(await total.body).toContain('max_followers_total=3');
  });

  it('a closed follower frees its slot at once; the metrics show current followers and refusals', async () => {
    const metricsText = async () => (await fetch(`${agent.url}/v1/metrics`)).text();
    expect(await metricsText()).toMatch(/fleetgate_agent_quota_streams 3/);
    open.shift()!.destroy();
    // The slot is free as soon as the agent has seen the connection close.
    await eventually(async () => /quota_streams 2/.test(await metricsText()), 1000);
    expect((await follow(b.id)).status).toBe(200);
    const metrics = await metricsText();
    expect(metrics).toMatch(/fleetgate_agent_quota_streams 3/);
    expect(metrics).toMatch(/fleetgate_agent_quota_rejections_total\{limit="max_followers_per_alloc"\} 1/);
    expect(metrics).toMatch(/fleetgate_agent_quota_limit\{limit="max_followers_total"\} 3/);
  });
});

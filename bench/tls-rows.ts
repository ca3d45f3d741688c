import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { AGENT_TLS_NAME } from '../src/cli/cluster/topology';
import { clientTlsOptions } from '../src/tls/client';
import { ensureClusterPki } from '../src/tls/cluster-pki';
import type { ClusterPki } from '../src/tls/names';
import { startRedis } from '../test/helpers/redis';
import { allocFixture } from './alloc-fixture';
import { procCpuMs, timedSpawn } from './cpu';
import {
  agentArgs,
  bigFile,
  CLI,
  fmt,
  gatewayArgs,
  joinTokenFile,
  median,
  startListening,
  type Proc,
} from './harness';

/**
 * The TLS rows of bench:gateway and bench:cli, kept apart from the other rows: two stacks
 * (Redis, a gateway, an agent serving the same 1 GiB file), one plain and one with TLS on both
 * hops (HTTPS to the gateway, mutual TLS from the gateway to the agent), both up at once and
 * measured in turns (plain, TLS, plain, TLS ...), medians of the runs:
 * - 1 GiB cat through the gateway with curl, TLS ÷ plain (goal ≥ 0.7);
 * - small requests (fs stat) through the gateway over keep-alive with wrk, TLS ÷ plain (goal ≥ 0.8);
 * - with `cli`: 1 GiB `fleetgate alloc fs` straight to the agent (mutual TLS with the cli certificate).
 *
 * Each row also gives the CPU every process spent (user + system, from /proc and /usr/bin/time).
 * On a small machine the client, the gateway and the agent share the cores, so wall-clock
 * throughput measures the sum of their CPU, the client's included; a hop's CPU per GiB is what
 * it costs where it runs on its own. The "gateway CPU ratio" (plain ÷ TLS CPU per GiB or per
 * request) is the throughput ratio of a gateway that is the bottleneck.
 */
const RUNS = Number(process.env['BENCH_TLS_RUNS'] ?? 3);
const REL = 'alloc/data/big.bin';

interface Stack {
  mode: 'plain' | 'tls';
  /** The stack's own data dir and allocation (two agents never share a data dir). */
  alloc: string;
  pki: ClusterPki | undefined;
  gateway: Proc;
  agent: Proc;
  stop(): Promise<void>;
}

const sh = (cmd: string, args: string[]): Promise<string> =>
  new Promise((resolve, reject) =>
    execFile(cmd, args, { maxBuffer: 1 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
  );

const start = async (src: string, pki: ClusterPki | undefined): Promise<Stack> => {
  const fx = allocFixture();
  const target = path.join(fx.allocDir, REL);
  try {
    fs.linkSync(src, target);
  } catch {
    fs.copyFileSync(src, target);
  }
  const dataDir = fx.dataDir;
  const redis = await startRedis();
  const join = joinTokenFile(dataDir);
  const serve = (own: { cert: string; key: string }) =>
    pki ? ['--tls-cert', own.cert, '--tls-key', own.key, '--tls-ca', pki.ca.cert] : [];
  const gateway = await startListening(
    process.execPath,
    gatewayArgs(
      redis.url,
      join,
      pki ? [...serve(pki.server), '--tls-agent-server-name', AGENT_TLS_NAME] : [],
    ),
    { FLEETGATE_LOG_LEVEL: 'warn' },
  );
  const agent = await startListening(
    process.execPath,
    agentArgs(dataDir, [
      '--gateway',
      gateway.url,
      '--join-token',
      join,
      ...(pki ? [...serve(pki.client), '--tls-verify-client'] : []),
    ]),
    { FLEETGATE_LOG_LEVEL: 'warn' },
  );
  return {
    mode: pki ? 'tls' : 'plain',
    alloc: fx.id,
    pki,
    gateway,
    agent,
    stop: async () => {
      gateway.proc.kill('SIGKILL');
      agent.proc.kill('SIGKILL');
      await redis.stop();
      fx.cleanup();
    },
  };
};

const curlTls = (pki: ClusterPki | undefined): string[] =>
  pki ? ['--cacert', pki.ca.cert, '--cert', pki.cli.cert, '--key', pki.cli.key] : [];

/** Protocol and cipher a client with the cli certificate gets from `url`. */
const negotiated = (url: string, pki: ClusterPki, servername?: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const u = new URL(url);
    const s = tls.connect(
      {
        host: u.hostname,
        port: Number(u.port),
        ...clientTlsOptions({ ca: pki.ca.cert, ...pki.cli }),
        ...(servername ? { servername } : {}),
      },
      () => {
        resolve(`${s.getProtocol()} ${s.getCipher().standardName}`);
        s.end();
      },
    );
    s.on('error', reject);
  });

interface Sample {
  /** Wall seconds of the client process, its CPU, and the CPU of the gateway and the agent (ms). */
  wallS: number;
  client: number;
  gateway: number;
  agent: number;
  /** Requests done (wrk), else 0. */
  requests: number;
}

/** Runs a client to completion and charges the gateway and agent CPU spent meanwhile. */
const sample = async (
  s: Stack,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<Sample> => {
  const pids = [s.gateway.proc.pid!, s.agent.proc.pid!];
  const before = pids.map(procCpuMs);
  const r = await timedSpawn(cmd, args, { env, captureStdout: cmd === 'wrk' });
  const [gateway, agent] = pids.map((p, i) => procCpuMs(p) - before[i]!) as [number, number];
  const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? 0);
  return { wallS: r.wallS, client: r.cpuMs, gateway, agent, requests };
};

type Pair = Record<'plain' | 'tls', Sample[]>;
const med = (xs: Sample[], f: (x: Sample) => number) => median(xs.map(f));
const secs = (ms: number) => `${fmt(ms / 1000, 2)} s`;

export const tlsRows = async (o: { cli: boolean }): Promise<string[]> => {
  const src = bigFile();
  const size = fs.statSync(src).size;
  const gib = size / 1024 ** 3;
  const pkiDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetgate-bench-tls-'));
  const { pki } = await ensureClusterPki(pkiDir);
  const stacks: Stack[] = [];
  try {
    for (const p of [undefined, pki]) stacks.push(await start(src, p));
    for (const s of stacks)
      for (let i = 0; i < 100; i++) {
        const code = await sh('curl', [
          '-s',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          ...curlTls(s.pki),
          `${s.gateway.url}/v1/allocation/${s.alloc}`,
        ]).catch(() => '');
        if (code === '200') break;
        await new Promise((r) => setTimeout(r, 100));
      }
    const secure = stacks[1]!;
    const hops = `client → gateway ${await negotiated(secure.gateway.url, pki)}; gateway → agent ${await negotiated(secure.agent.url, pki, AGENT_TLS_NAME)}`;
    const urlOf = (s: Stack, op: 'cat' | 'stat') =>
      `${s.gateway.url}/v1/client/fs/${op}/${s.alloc}?path=${encodeURIComponent(REL)}`;

    const cat: Pair = { plain: [], tls: [] };
    const small: Pair = { plain: [], tls: [] };
    const cli: Pair = { plain: [], tls: [] };
    // Warm: a small request on each stack (connections, JIT); the file is in the page cache after the first run.
    for (const s of stacks) await sample(s, 'wrk', ['-t1', '-c16', '-d1s', urlOf(s, 'stat')]);
    for (let r = 0; r < RUNS; r++) {
      process.stderr.write(`TLS rows: run ${r + 1} of ${RUNS}...\n`);
      for (const s of stacks) {
        cat[s.mode].push(
          await sample(s, 'curl', ['-sf', '-o', '/dev/null', ...curlTls(s.pki), urlOf(s, 'cat')]),
        );
        if (r < 2) small[s.mode].push(await sample(s, 'wrk', ['-t1', '-c16', '-d5s', urlOf(s, 'stat')]));
        if (o.cli)
          cli[s.mode].push(
            await sample(s, process.execPath, [CLI, 'alloc', 'fs', '--direct', 'always', s.alloc, REL], {
              FLEETGATE_ADDR: s.gateway.url,
              ...(s.pki
                ? {
                    NOMAD_CACERT: pki.ca.cert,
                    NOMAD_CLIENT_CERT: pki.cli.cert,
                    NOMAD_CLIENT_KEY: pki.cli.key,
                  }
                : {}),
            }),
          );
      }
    }

    const load = os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
    const mbps = (xs: Sample[]) => size / med(xs, (x) => x.wallS) / 1e6;
    const perGib = (xs: Sample[], f: (x: Sample) => number) => secs(med(xs, f) / gib);
    const rate = (xs: Sample[]) => med(xs, (x) => x.requests / x.wallS);
    const per1k = (xs: Sample[], f: (x: Sample) => number) =>
      fmt(med(xs, (x) => (f(x) * 1000) / x.requests) / 1000, 2);
    const gwPerByte = (xs: Sample[]) => med(xs, (x) => x.gateway);
    const gwPerReq = (xs: Sample[]) => med(xs, (x) => x.gateway / x.requests);
    const bulkCpu = (p: Pair, client: string) =>
      (['plain', 'tls'] as const)
        .map(
          (m) =>
            `${m}: gateway ${perGib(p[m], (x) => x.gateway)}, agent ${perGib(p[m], (x) => x.agent)}, ${client} ${perGib(p[m], (x) => x.client)}`,
        )
        .join('   ');
    return [
      `TLS rows: plain and TLS stacks side by side, runs in turns, medians (${RUNS} runs of 1 GiB, 2 of 5 s wrk); load average ${load}; ${hops}`,
      `TLS: cat 1 GiB via gateway  plain ${fmt(mbps(cat.plain))} MB/s   TLS both hops ${fmt(mbps(cat.tls))} MB/s   ratio ${fmt(mbps(cat.tls) / mbps(cat.plain), 2)} (goal ≥ 0.7)`,
      `     CPU per GiB  ${bulkCpu(cat, 'curl')}   gateway CPU ratio ${fmt(gwPerByte(cat.plain) / gwPerByte(cat.tls), 2)}`,
      `TLS: small requests (fs stat, keep-alive, 16 conns)  plain ${fmt(rate(small.plain), 0)}/s   TLS ${fmt(rate(small.tls), 0)}/s   ratio ${fmt(rate(small.tls) / rate(small.plain), 2)} (goal ≥ 0.8)`,
      `     CPU ms per request  ${(['plain', 'tls'] as const)
        .map(
          (m) =>
            `${m}: gateway ${per1k(small[m], (x) => x.gateway)}, agent ${per1k(small[m], (x) => x.agent)}, wrk ${per1k(small[m], (x) => x.client)}`,
        )
        .join('   ')}   gateway CPU ratio ${fmt(gwPerReq(small.plain) / gwPerReq(small.tls), 2)}`,
      ...(o.cli
        ? [
            `TLS: CLI alloc fs 1 GiB straight to the agent  plain ${fmt(mbps(cli.plain))} MB/s   mutual TLS ${fmt(mbps(cli.tls))} MB/s   ratio ${fmt(mbps(cli.tls) / mbps(cli.plain), 2)}`,
            `     CPU per GiB  ${bulkCpu(cli, 'CLI')}`,
          ]
        : []),
    ];
  } finally {
    for (const s of stacks) await s.stop();
    fs.rmSync(pkiDir, { recursive: true, force: true });
  }
};

if (require.main === module)
  void tlsRows({ cli: process.argv.includes('--cli') }).then(
    (rows) => {
      process.stdout.write(rows.join('\n') + '\n');
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`${(e as Error).stack}\n`);
      process.exit(1);
    },
  );

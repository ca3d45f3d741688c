import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { AGENT_TLS_NAME } from '../src/cli/cluster/topology';
import { ensureClusterPki } from '../src/tls/cluster-pki';
import type { ClusterPki } from '../src/tls/names';
import { startRedis } from '../test/helpers/redis';
import { allocFixture } from './alloc-fixture';
import { agentArgs, bigFile, CLI, fmt, joinTokenFile, startListening, wrk, type Proc } from './harness';

/**
 * The TLS rows of bench:gateway and bench:cli, kept apart from the other rows: the same stack
 * (Redis, a gateway, an agent with a 1 GiB file) started twice, plain and with TLS on both hops
 * (HTTPS to the gateway, mutual TLS from the gateway to the agent), measured side by side:
 * - 1 GiB cat through the gateway with curl, TLS ÷ plain (goal ≥ 0.7);
 * - small requests (fs stat) through the gateway over keep-alive with wrk, TLS ÷ plain (goal ≥ 0.8);
 * - with `cli`: 1 GiB `fleetgate alloc fs` straight to the agent (mutual TLS with the cli certificate).
 */
interface Stack {
  gateway: Proc;
  agent: Proc;
  stop(): Promise<void>;
}

const sh = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> =>
  new Promise((resolve, reject) =>
    execFile(cmd, args, { env: { ...process.env, ...env }, maxBuffer: 1 << 20 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    ),
  );

const start = async (dataDir: string, pki: ClusterPki | undefined): Promise<Stack> => {
  const redis = await startRedis();
  const join = joinTokenFile(path.dirname(dataDir));
  const serve = (own: { cert: string; key: string }) =>
    pki ? ['--tls-cert', own.cert, '--tls-key', own.key, '--tls-ca', pki.ca.cert] : [];
  const gateway = await startListening(
    process.execPath,
    [
      CLI,
      'gateway',
      '--http-addr',
      '127.0.0.1:0',
      '--redis',
      redis.url,
      '--node-join-token',
      join,
      ...(pki ? [...serve(pki.server), '--tls-agent-server-name', AGENT_TLS_NAME] : []),
    ],
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
    gateway,
    agent,
    stop: async () => {
      gateway.proc.kill('SIGKILL');
      agent.proc.kill('SIGKILL');
      await redis.stop();
    },
  };
};

const curlTls = (pki: ClusterPki | undefined): string[] =>
  pki ? ['--cacert', pki.ca.cert, '--cert', pki.cli.cert, '--key', pki.cli.key] : [];

/** MB/s of one download to /dev/null. */
const catSpeed = async (url: string, pki: ClusterPki | undefined): Promise<number> => {
  const out = await sh('curl', [
    '-sf',
    '-o',
    '/dev/null',
    '-w',
    '%{size_download} %{time_total}',
    ...curlTls(pki),
    url,
  ]);
  const [bytes, secs] = out.trim().split(' ').map(Number) as [number, number];
  return bytes / secs / 1e6;
};

/** Requests per second of wrk (keep-alive, 16 connections, 5 s). */
const smallRate = async (url: string): Promise<number> => {
  const { stdout } = await wrk(['-t1', '-c16', '-d5s', url]);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0);
};

/** Seconds of one `fleetgate alloc fs` of the file, straight to the agent. */
const cliCat = async (gatewayUrl: string, alloc: string, pki: ClusterPki | undefined): Promise<number> => {
  const env = {
    FLEETGATE_ADDR: gatewayUrl,
    ...(pki
      ? { NOMAD_CACERT: pki.ca.cert, NOMAD_CLIENT_CERT: pki.cli.cert, NOMAD_CLIENT_KEY: pki.cli.key }
      : {}),
  };
  const t0 = performance.now();
  await sh(
    'sh',
    ['-c', `"${process.execPath}" "${CLI}" alloc fs --direct always ${alloc} alloc/data/big.bin > /dev/null`],
    env,
  );
  return (performance.now() - t0) / 1000;
};

export const tlsRows = async (o: { cli: boolean }): Promise<string[]> => {
  const src = bigFile();
  const size = fs.statSync(src).size;
  const fx = allocFixture();
  const target = path.join(fx.allocDir, 'alloc/data/big.bin');
  try {
    fs.linkSync(src, target);
  } catch {
    fs.copyFileSync(src, target);
  }
  const pkiDir = `${fx.dataDir}-tls`;
  const { pki } = await ensureClusterPki(pkiDir);
  const result: Record<'plain' | 'tls', { cat: number; rate: number; cli: number }> = {
    plain: { cat: 0, rate: 0, cli: 0 },
    tls: { cat: 0, rate: 0, cli: 0 },
  };
  for (const mode of ['plain', 'tls'] as const) {
    const p = mode === 'tls' ? pki : undefined;
    const s = await start(fx.dataDir, p);
    try {
      const rel = encodeURIComponent('alloc/data/big.bin');
      const meta = `${s.gateway.url}/v1/allocation/${fx.id}`;
      for (let i = 0; i < 100; i++) {
        const ok = await sh('curl', [
          '-s',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          ...curlTls(p),
          meta,
        ]).catch(() => '');
        if (ok === '200') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      result[mode].cat = await catSpeed(`${s.gateway.url}/v1/client/fs/cat/${fx.id}?path=${rel}`, p);
      result[mode].rate = await smallRate(`${s.gateway.url}/v1/client/fs/stat/${fx.id}?path=${rel}`);
      if (o.cli) result[mode].cli = size / (await cliCat(s.gateway.url, fx.id, p)) / 1e6;
    } finally {
      await s.stop();
    }
  }
  fx.cleanup();
  fs.rmSync(pkiDir, { recursive: true, force: true });
  const { plain, tls } = result;
  return [
    `TLS: cat 1 GiB via gateway  plain ${fmt(plain.cat)} MB/s   TLS both hops ${fmt(tls.cat)} MB/s   ratio ${fmt(tls.cat / plain.cat, 2)} (goal ≥ 0.7)`,
    `TLS: small requests (fs stat, keep-alive, 16 conns)  plain ${fmt(plain.rate, 0)}/s   TLS ${fmt(tls.rate, 0)}/s   ratio ${fmt(tls.rate / plain.rate, 2)} (goal ≥ 0.8)`,
    ...(o.cli
      ? [
          `TLS: CLI alloc fs 1 GiB straight to the agent  plain ${fmt(plain.cli)} MB/s   mutual TLS ${fmt(tls.cli)} MB/s   ratio ${fmt(tls.cli / plain.cli, 2)}`,
        ]
      : []),
  ];
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

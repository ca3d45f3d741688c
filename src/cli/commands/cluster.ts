import type { Command } from 'commander';
import { runCluster } from '../cluster/run';
import { agentConfig, findAgent, TLS_HOST_NAMES, TOPOLOGY } from '../cluster/topology';
import { describe, usage } from '../output/errors';

/**
 * `fleetgate cluster`: the docker-compose demo as local processes (Docker-free), and
 * `fleetgate cluster agent-config NAME`, which compose's agents use to get their config
 * from the same topology module.
 */
export const register = (program: Command): void => {
  const cluster = program
    .command('cluster')
    .description(
      'run the demo topology locally: redis, one gateway, three agents with ACLs (Ctrl-C stops it)',
    )
    .option('--dir <dir>', 'keep data, configs, keys and logs here (default: a temp dir removed on exit)')
    .option(
      '--free-ports',
      `use free ports instead of ${TOPOLOGY.gateway.port}-${TOPOLOGY.gateway.port + TOPOLOGY.agents.length}`,
    )
    .option('--redis-server <bin>', 'redis-server binary', 'redis-server')
    .option(
      '--tls',
      'TLS everywhere: a CA and certificates in <dir>/tls, Redis over TLS, HTTPS at the gateway, mutual TLS at the agents',
    )
    .option('--heartbeat-interval-ms <ms>', 'agent heartbeat interval', '1000')
    .action(
      async (opts: {
        dir?: string;
        freePorts?: boolean;
        redisServer: string;
        heartbeatIntervalMs: string;
        tls?: boolean;
      }) => {
        try {
          await runCluster(
            {
              ...(opts.dir ? { dir: opts.dir } : {}),
              freePorts: opts.freePorts === true,
              redisServer: opts.redisServer,
              cliPath: process.argv[1]!,
              heartbeatMs: Number(opts.heartbeatIntervalMs),
              tls: opts.tls === true,
            },
            (s) => process.stdout.write(s),
          );
        } catch (err) {
          throw describe(err, 'the cluster gateway');
        }
      },
    );

  cluster
    .command('tls-files')
    .argument('<dir>', 'directory for the CA and certificates')
    .description(
      "make the CA and the gateway, agent and cli certificates of `cluster --tls` in <dir> (kept when all are there), with the compose host names; compose's tls-init runs it",
    )
    .action(async (dir: string) => {
      const { ensureClusterPki } = await import('../../tls/cluster-pki');
      const { pki, created } = await ensureClusterPki(dir, { dnsNames: TLS_HOST_NAMES });
      process.stdout.write(
        `${created ? 'made' : 'kept'} ${pki.ca.cert}, ${pki.server.cert}, ${pki.client.cert}, ${pki.cli.cert} (and their -key.pem)\n`,
      );
    });

  cluster
    .command('agent-config')
    .argument('<name>', `agent service or node name (${TOPOLOGY.agents.map((a) => a.service).join(', ')})`)
    .description("print an agent's JSON config (its static allocation) from the demo topology")
    .action((name: string) => {
      const agent = findAgent(name);
      if (!agent)
        throw usage(
          `unknown demo agent "${name}"; one of ${TOPOLOGY.agents.map((a) => a.service).join(', ')}`,
        );
      process.stdout.write(JSON.stringify(agentConfig(agent), null, 2) + '\n');
    });
};

import { DEFAULT_DOMAIN, DEFAULT_REGION } from '../../tls/names';

/**
 * The demo topology, defined once: `fleetgate cluster` starts it as local processes, and
 * docker-compose.yml runs it as containers (its agents print their config with
 * `fleetgate cluster agent-config NAME`; test/unit/compose.test.ts checks the YAML against this).
 */
export interface DemoAgent {
  /** Compose service name (also the agent's host name inside the compose network). */
  readonly service: string;
  readonly nodeName: string;
  readonly port: number;
  readonly datacenter: string;
  readonly meta: Readonly<Record<string, string>>;
  /** The job of the static allocation this agent runs. */
  readonly job: string;
}

export const TOPOLOGY = {
  redis: { service: 'redis', image: 'redis:7-alpine', port: 6379 },
  /** Init service: writes the ES256 pair into the shared keys volume, then exits. */
  keygen: { service: 'acl-keygen', keysDir: '/keys' },
  gateway: { service: 'gateway', port: 4646 },
  agents: [
    {
      service: 'agent-1',
      nodeName: 'node-1',
      port: 4647,
      datacenter: 'dc1',
      meta: { rack: 'r1' },
      job: 'web',
    },
    {
      service: 'agent-2',
      nodeName: 'node-2',
      port: 4648,
      datacenter: 'dc1',
      meta: { rack: 'r2' },
      job: 'api',
    },
    {
      service: 'agent-3',
      nodeName: 'node-3',
      port: 4649,
      datacenter: 'dc2',
      meta: { rack: 'r1' },
      job: 'worker',
    },
  ] as const satisfies readonly DemoAgent[],
  healthPath: '/v1/agent/health',
  /** Data directory inside containers; `fleetgate cluster` uses `<dir>/<service>` instead. */
  dataDir: '/data',
  /** The read-only policy the demo token gets: logs and files of the default namespace. */
  demoPolicy: {
    name: 'logs-reader',
    description: 'read logs and files in the default namespace',
    rules: {
      namespace: { default: { capabilities: ['read-logs', 'read-fs', 'read-job'] } },
      node: { policy: 'read' },
    },
  },
  taskName: 'app',
} as const;

export const PRIVATE_KEY = 'acl-private.pem';

/**
 * With TLS, the name the gateway checks on every agent's certificate: the agents' role name
 * (`fleetgate tls cert create -client`), whatever address an agent advertises.
 */
export const AGENT_TLS_NAME = `client.${DEFAULT_REGION}.${DEFAULT_DOMAIN}`;

/** With TLS (compose): where the tls-init service writes the certificates, mounted read-only elsewhere. */
export const TLS_DIR = '/tls';

/**
 * Extra names in the gateway's and agents' certificates: their compose host names, which agents
 * dial (https://gateway:4646) and advertise (https://agent-1:4647).
 */
export const TLS_HOST_NAMES: readonly string[] = [
  TOPOLOGY.gateway.service,
  ...TOPOLOGY.agents.map((a) => a.service),
];
export const PUBLIC_KEY = 'acl-public.pem';

/**
 * The task each agent runs: numbered lines on stdout every half second and a warning on
 * stderr every fifth line, so `alloc logs -f` and `-stderr` have something to show at once.
 */
export const demoScript = (agent: DemoAgent): string =>
  `i=0; while true; do i=$((i+1)); echo "${agent.nodeName} ${agent.job} line $i"; ` +
  `if [ $((i % 5)) -eq 0 ]; then echo "${agent.nodeName} ${agent.job} warning $i" >&2; fi; sleep 0.5; done`;

/** The agent JSON config (`fleetgate agent --config FILE`): only the static allocation; the rest comes from flags/env. */
export const agentConfig = (agent: DemoAgent): Record<string, unknown> => ({
  allocations: [
    {
      job: agent.job,
      tasks: [
        {
          name: TOPOLOGY.taskName,
          command: 'sh',
          args: ['-c', demoScript(agent)],
          logs: { max_files: 5, max_file_size_mb: 1 },
        },
      ],
    },
  ],
});

export const findAgent = (nameOrService: string): DemoAgent | undefined =>
  TOPOLOGY.agents.find((a) => a.nodeName === nameOrService || a.service === nameOrService);

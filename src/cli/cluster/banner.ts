import type { ClusterPki } from '../../tls/names';
import { shortId } from '../output/format';
import { shellWord } from '../output/shell';
import { UI_PATH } from '../../router/ui-static';
import { TOPOLOGY } from './topology';

export interface RunningCluster {
  dir: string;
  redisUrl: string;
  gatewayUrl: string;
  agents: Array<{ nodeName: string; url: string; allocId: string; job: string }>;
  managementToken: string;
  readToken: string;
  /** The certificates, when the cluster runs with TLS. */
  tls?: ClusterPki;
}

/** curl with the CA and the operator's certificate (what an agent's mutual TLS asks for). */
const curl = (c: RunningCluster): string =>
  [
    'curl',
    ...(c.tls
      ? ['--cacert', c.tls.ca.cert, '--cert', c.tls.cli.cert, '--key', c.tls.cli.key].map(shellWord)
      : []),
    '-H',
    `"X-Nomad-Token: ${c.managementToken}"`,
  ].join(' ');

/** What `fleetgate cluster` prints once everything is up: where things are and what to try. */
export const banner = (c: RunningCluster): string => {
  const first = c.agents[0];
  const alloc = first ? shortId(first.allocId) : 'ALLOC';
  const lines = [
    `fleetgate cluster ready (data and logs in ${c.dir})`,
    '',
    `  redis      ${c.redisUrl}`,
    `  gateway    ${c.gatewayUrl}   (ACLs on)`,
    `  web UI     ${c.gatewayUrl}${UI_PATH}   (sign in at ${c.gatewayUrl}${UI_PATH}sign-in with a token below)`,
    ...c.agents.map(
      (a) =>
        `  ${a.nodeName.padEnd(9)}  ${a.url}   alloc ${a.allocId} (job ${a.job}, task ${TOPOLOGY.taskName})`,
    ),
    '',
    `management token: ${c.managementToken}`,
    `read-only token (policy ${TOPOLOGY.demoPolicy.name}): ${c.readToken}`,
    '',
    'Try:',
    `  export FLEETGATE_ADDR=${c.gatewayUrl}`,
    `  export FLEETGATE_TOKEN=${c.managementToken}`,
    ...(c.tls
      ? [
          `  export NOMAD_CACERT=${shellWord(c.tls.ca.cert)} NOMAD_CLIENT_CERT=${shellWord(c.tls.cli.cert)} NOMAD_CLIENT_KEY=${shellWord(c.tls.cli.key)}`,
        ]
      : []),
    '  npx fleetgate node status',
    ...c.agents.map((a) => `  npx fleetgate alloc logs -f ${shortId(a.allocId)}`),
    `  npx fleetgate alloc logs -stderr -tail -n 5 ${alloc}`,
    `  npx fleetgate alloc fs ${alloc} alloc/logs`,
    `  npx fleetgate alloc logs -f -v ${alloc}          # -v says whether it went direct to the node or via the gateway`,
    `  FLEETGATE_TOKEN=${c.readToken} npx fleetgate node meta apply -node-id node-1 team=demo   # denied: read-only`,
    `  ${curl(c)} '${c.gatewayUrl}/v1/nodes'`,
    ...(first
      ? [
          `  ${curl(c)} '${c.gatewayUrl}/v1/client/fs/ls/${first.allocId}?path=/alloc/logs'`,
          `  ${curl(c)} '${first.url}/v1/client/fs/ls/${first.allocId}?path=/alloc/logs'   # straight to ${first.nodeName}`,
        ]
      : []),
    ...(c.tls
      ? [
          '',
          `TLS everywhere (certificates in ${c.tls.dir}): Redis takes only certificates from the CA,`,
          `the gateway serves HTTPS, agents take only clients with a certificate from the CA (mutual TLS).`,
        ]
      : []),
    '',
    'Ctrl-C stops everything.',
    '',
  ];
  return lines.join('\n');
};

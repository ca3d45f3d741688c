import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type tls from 'node:tls';
import { AGENT_TLS_NAME } from '../../src/cli/cluster/topology';
import { clientTlsOptions } from '../../src/tls/client';
import { ensureClusterPki } from '../../src/tls/cluster-pki';
import type { ClusterPki } from '../../src/tls/names';

export interface Reply {
  status: number;
  body: string;
}

export interface RequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** For https:// URLs: CA, client certificate. */
  tls?: tls.ConnectionOptions | undefined;
}

/**
 * One request, http:// or https:// alike, the whole body read: what `fetch` does for the tests,
 * but with a CA and a client certificate when the stack runs with TLS (fetch takes neither).
 */
export const request = (url: string, init: RequestInit = {}): Promise<Reply> =>
  new Promise((resolve, reject) => {
    const secure = url.startsWith('https:');
    const req = (secure ? https : http).request(
      url,
      {
        method: init.method ?? 'GET',
        headers: init.headers ?? {},
        agent: false,
        ...(secure ? init.tls : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });

/**
 * A stack's TLS, as `fleetgate cluster --tls` sets it up (same certificate layout): the flags
 * that make a gateway serve HTTPS and check agents for their role name, the flags that make an
 * agent insist on client certificates, and the operator's (cli) client options.
 */
export interface StackTls {
  pki: ClusterPki;
  gatewayArgs: string[];
  agentArgs: string[];
  client: tls.ConnectionOptions;
}

export const stackTls = async (dir: string): Promise<StackTls> => {
  const { pki } = await ensureClusterPki(path.join(dir, 'tls'));
  const serve = (own: { cert: string; key: string }) => [
    '--tls-cert',
    own.cert,
    '--tls-key',
    own.key,
    '--tls-ca',
    pki.ca.cert,
  ];
  return {
    pki,
    gatewayArgs: [...serve(pki.server), '--tls-agent-server-name', AGENT_TLS_NAME],
    agentArgs: [...serve(pki.client), '--tls-verify-client'],
    client: clientTlsOptions({ ca: pki.ca.cert, ...pki.cli }),
  };
};

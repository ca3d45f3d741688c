import fs from 'node:fs';
import path from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { request } from './https';

/**
 * A node join token from a running gateway (`POST /v1/acl/join-token`), written to
 * `<dir>/join-token` for an agent's `--join-token`. `token`: the management token when ACLs are on.
 */
export const joinTokenFile = async (
  gatewayUrl: string,
  dir: string,
  token?: string,
  tls?: ConnectionOptions,
): Promise<string> => {
  const res = await request(`${gatewayUrl}/v1/acl/join-token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { 'X-Nomad-Token': token } : {}) },
    body: JSON.stringify({ Name: 'test', ExpirationTTL: '1h' }),
    tls,
  });
  if (res.status !== 200) throw new Error(`join token: ${res.status} ${res.body}`);
  const file = path.join(dir, 'join-token');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, `${(JSON.parse(res.body) as { SecretID: string }).SecretID}\n`, { mode: 0o600 });
  return file;
};

import fs from 'node:fs';
import path from 'node:path';
import {
  caFileNames,
  createCa,
  createLeaf,
  EKU,
  leafFileNames,
  roleProfile,
  type CertRole,
  type LeafOptions,
  type Pem,
} from '../../src/tls/pki';

export interface PairFiles {
  cert: string;
  key: string;
}

/**
 * A cluster's certificates in `dir`, made by the same code as `fleetgate tls` and with its
 * file names: the CA, a server (gateway), a client (agent) and a cli certificate. `leaf`
 * makes more, including the broken ones tests need (expired, wrong name, wrong key usage).
 */
export class TestPki {
  private constructor(
    readonly dir: string,
    readonly ca: Pem,
    readonly caFile: string,
  ) {}

  static async create(dir: string): Promise<TestPki> {
    fs.mkdirSync(dir, { recursive: true });
    const ca = await createCa({ days: 30 });
    const caFile = path.join(dir, caFileNames('fleetgate').cert);
    fs.writeFileSync(caFile, ca.certPem);
    fs.writeFileSync(path.join(dir, caFileNames('fleetgate').key), ca.keyPem, { mode: 0o600 });
    return new TestPki(dir, ca, caFile);
  }

  /** A role certificate as `fleetgate tls cert create -<role>` makes it. */
  async role(role: CertRole): Promise<PairFiles> {
    const names = leafFileNames(role, 'global', 'fleetgate');
    return this.write(names.cert.replace(/\.pem$/, ''), {
      ...roleProfile(role, 'global', 'fleetgate'),
      days: 30,
    });
  }

  /** Any certificate signed by this CA; `name` is the file stem. */
  async leaf(name: string, o: Partial<Omit<LeafOptions, 'ca'>>): Promise<PairFiles> {
    return this.write(name, {
      commonName: 'localhost',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      extKeyUsages: [EKU.serverAuth, EKU.clientAuth],
      days: 30,
      ...o,
    });
  }

  private async write(stem: string, o: Omit<LeafOptions, 'ca'>): Promise<PairFiles> {
    const pem = await createLeaf({ ca: this.ca, ...o });
    const cert = path.join(this.dir, `${stem}.pem`);
    const key = path.join(this.dir, `${stem}-key.pem`);
    fs.writeFileSync(cert, pem.certPem);
    fs.writeFileSync(key, pem.keyPem, { mode: 0o600 });
    return { cert, key };
  }
}

/** A certificate for `at` that expired a day ago (validity window entirely in the past). */
export const expiredOptions = (): Partial<LeafOptions> => ({
  days: 1,
  now: new Date(Date.now() - 3 * 86_400_000),
});

import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { register, writeKeyPair } from '../../../src/cli/commands/acl-keygen';
import { createSigner, createVerifier, loadKeyMaterial } from '../../../src/acl';
import { tmpDir } from '../../helpers/tmp';

describe('fleetgate acl keygen', () => {
  it('writes a 0600 private key and a public key that verify each other; refuses to overwrite', () => {
    const { dir, cleanup } = tmpDir();
    try {
      const out = path.join(dir, 'keys');
      const program = new Command().exitOverride();
      register(program);
      const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
      program.parse(['node', 'fleetgate', 'acl', 'keygen', '--out', out]);
      const printed = write.mock.calls.map((c) => String(c[0])).join('');
      write.mockRestore();
      const priv = path.join(out, 'acl-private.pem');
      const pub = path.join(out, 'acl-public.pem');
      expect(fs.statSync(priv).mode & 0o777).toBe(0o600);
      expect(printed).toContain(`--acl --acl-key ${priv}`);
      expect(printed).toContain(`--acl --acl-key ${pub}`);
      const { token } = createSigner(loadKeyMaterial(priv)).sign({ accessorId: 'a', type: 'management' });
      expect(createVerifier(loadKeyMaterial(pub)).verify(token).claims.sub).toBe('a');
      expect(() => writeKeyPair(out)).toThrow(/already exists; pass --force/);
      writeKeyPair(out, true);
      expect(fs.statSync(priv).mode & 0o777).toBe(0o600);
    } finally {
      cleanup();
    }
  });

  it('loadKeyMaterial names the file in errors', () => {
    expect(() => loadKeyMaterial('/nonexistent/k.pem')).toThrow(/cannot read ACL key \/nonexistent\/k\.pem/);
  });
});

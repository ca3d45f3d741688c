import {
  createAssertionSigner,
  createAssertionVerifier,
  looksLikeAssertion,
} from '../../../src/acl/assertion';
import { generateEs256KeyPair, parseKeyMaterial } from '../../../src/acl/keys';
import { createVerifier } from '../../../src/acl/token';

/** Node assertions: bound to one node, one right, one namespace, a few seconds. */
const keys = parseKeyMaterial(generateEs256KeyPair().privateKeyPem);
const nodeA = '11111111-1111-4111-8111-111111111111';
const nodeB = '22222222-2222-4222-8222-222222222222';

describe('node assertions', () => {
  const grant = { kind: 'namespace', capability: 'read-fs', namespace: 'prod' } as const;

  test('grant exactly one capability in one namespace, on the node they name', () => {
    const token = createAssertionSigner(keys).sign(nodeA, 'acc-1', grant);
    expect(looksLikeAssertion(token)).toBe(true);
    const id = createAssertionVerifier(() => nodeA).verify(token, keys);
    expect(id.accessorId).toBe('acc-1');
    expect(id.acl.management).toBe(false);
    expect(id.acl.allowNamespaceOp('prod', 'read-fs')).toBe(true);
    expect(id.acl.allowNamespaceOp('prod', 'read-logs')).toBe(false);
    expect(id.acl.allowNamespaceOp('default', 'read-fs')).toBe(false);
    expect(id.acl.allowNamespaceOp('*', 'read-fs')).toBe(false);
    expect(id.acl.allowNodeRead()).toBe(false);
    expect(() => createAssertionVerifier(() => nodeB).verify(token, keys)).toThrow('Permission denied');
    expect(() => createAssertionVerifier(() => undefined).verify(token, keys)).toThrow('Permission denied');
  });

  test('a node right is read or write, nothing in any namespace', () => {
    const token = createAssertionSigner(keys).sign(nodeA, 'acc-1', { kind: 'node', level: 'read' });
    const id = createAssertionVerifier(() => nodeA).verify(token, keys);
    expect(id.acl.allowNodeRead()).toBe(true);
    expect(id.acl.allowNodeWrite()).toBe(false);
    expect(id.acl.allowNamespaceOp('default', 'read-fs')).toBe(false);
  });

  test('expire within seconds; are reused by the gateway for a few seconds only', () => {
    let t = Date.now();
    const signer = createAssertionSigner(keys, () => t);
    const first = signer.sign(nodeA, 'acc-1', grant);
    expect(signer.sign(nodeA, 'acc-1', grant)).toBe(first);
    expect(signer.sign(nodeB, 'acc-1', grant)).not.toBe(first);
    t += 6000;
    expect(signer.sign(nodeA, 'acc-1', grant)).not.toBe(first);
    const verifyAt = (ms: number) =>
      createAssertionVerifier(
        () => nodeA,
        () => ms,
      ).verify(first, keys);
    expect(() => verifyAt(Date.now() + 30_000)).toThrow('Permission denied');
  });

  test('are not user tokens: a user-token verifier refuses them', () => {
    const token = createAssertionSigner(keys).sign(nodeA, 'acc-1', grant);
    expect(() => createVerifier(keys).verify(token)).toThrow();
  });

  test('signed with another key are refused', () => {
    const other = parseKeyMaterial(generateEs256KeyPair().privateKeyPem);
    const token = createAssertionSigner(other).sign(nodeA, 'acc-1', grant);
    expect(() => createAssertionVerifier(() => nodeA).verify(token, keys)).toThrow('Permission denied');
  });
});

import { MemoryRegistry } from '../../../src/registry/memory';
import { registryContract } from './contract';

registryContract('memory', async () => {
  const reg = new MemoryRegistry();
  // One process, one store: the "other" handle is the same object.
  return { reg, other: reg, cleanup: () => reg.close() };
});

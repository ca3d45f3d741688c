import pino from 'pino';
import { DEFAULTS } from '../../../../src/config/defaults';
import type { ManifestStore } from '../../../../src/agent/manifests/store';
import type { MetaStore } from '../../../../src/agent/meta/store';
import type { NodeLink } from '../../../../src/agent/registration/link';
import { Registrar } from '../../../../src/agent/registration/registrar';
import type { NodeId } from '../../../../src/wire';

/** A link that records what the registrar sends; the registry always knows the node. */
const recordingLink = () => {
  const beats: number[] = [];
  const link: NodeLink = {
    register: async () => undefined,
    heartbeat: async (ttlMs) => {
      beats.push(ttlMs);
      return true;
    },
    putAllocs: async () => [],
    removeAlloc: async () => undefined,
  };
  return { link, beats };
};

describe('Registrar heartbeat (jest fake timers)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('one heartbeat per interval, each with a TTL of the interval times the TTL factor', async () => {
    const { link, beats } = recordingLink();
    const registrar = new Registrar({
      link,
      node: {
        id: 'n1' as NodeId,
        name: 'n1',
        datacenter: 'dc1',
        version: 'test',
        httpAddr: () => '127.0.0.1:1',
        advertiseUrl: () => 'http://127.0.0.1:1',
      },
      meta: { onChange: () => () => undefined, merged: () => ({}) } as unknown as MetaStore,
      manifests: {
        onEvent: () => () => undefined,
        list: () => [],
        get: () => undefined,
      } as unknown as ManifestStore,
      heartbeatIntervalMs: 1000,
      log: pino({ level: 'silent' }),
    });
    await registrar.start();
    await jest.advanceTimersByTimeAsync(999);
    expect(beats).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(beats).toEqual([1000 * DEFAULTS.heartbeatTtlFactor]);
    await jest.advanceTimersByTimeAsync(2000);
    expect(beats).toHaveLength(3);
    await registrar.stop();
    expect(beats.at(-1)).toBe(1); // stop lets the heartbeat lapse at once
  });
});

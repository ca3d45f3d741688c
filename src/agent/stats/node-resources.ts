import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import type { NomadNetworkResource, NomadNodeResources } from '../../wire';
import { totalComputeMhz } from './cpu';

const MIB = 1024 * 1024;

/**
 * The node's capacity, measured once when the agent starts, as Nomad fingerprints a client:
 * CPU (total MHz and cores), memory, the free space of the data directory's file system, and
 * the network interface that holds the advertised address. Measured once on purpose: the
 * record is re-sent on every re-registration, and a value that moved each time (free disk)
 * would change the node record and wake every watcher of the node list each time.
 */
export const fingerprintResources = async (
  dataDir: string,
  advertiseHost: string,
): Promise<NomadNodeResources> => {
  const cores = os.cpus().length;
  const disk = await fs.statfs(dataDir);
  return {
    Cpu: {
      CpuShares: Math.round(totalComputeMhz()),
      ReservableCpuCores: Array.from({ length: cores }, (_, i) => i),
      TotalCpuCores: cores,
    },
    Devices: null,
    Disk: { DiskMB: Math.floor((disk.bavail * disk.bsize) / MIB) },
    MaxDynamicPort: 0,
    Memory: { MemoryMB: Math.floor(os.totalmem() / MIB) },
    MinDynamicPort: 0,
    Networks: await hostNetwork(advertiseHost),
  };
};

/** The interface whose address is the advertised host (an IP literal); null when none is. */
const hostNetwork = async (host: string): Promise<NomadNetworkResource[] | null> => {
  const ip = host.replace(/^\[|\]$/g, '');
  if (net.isIP(ip) === 0) return null;
  for (const [device, addrs] of Object.entries(os.networkInterfaces())) {
    const a = addrs?.find((x) => x.address === ip);
    if (!a) continue;
    return [
      {
        // Nomad's fingerprint names the one address: /32 (IPv4) or /128 (IPv6).
        CIDR: `${ip}/${a.family === 'IPv4' ? 32 : 128}`,
        DNS: null,
        Device: device,
        DynamicPorts: null,
        Hostname: '',
        IP: ip,
        MBits: await linkSpeed(device),
        Mode: 'host',
        ReservedPorts: null,
      },
    ];
  }
  return null;
};

/** `/sys/class/net/<dev>/speed` in Mbit/s; 0 when the kernel does not say (-1, unreadable). */
const linkSpeed = async (device: string): Promise<number> => {
  if (device.includes('/') || device.startsWith('.')) return 0;
  try {
    const n = Number((await fs.readFile(`/sys/class/net/${device}/speed`, 'utf8')).trim());
    return Number.isInteger(n) && n > 0 ? n : 0;
  } catch {
    return 0;
  }
};

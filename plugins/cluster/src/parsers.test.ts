import { describe, expect, it } from 'vitest';
import { findVpnAddresses, parseDf, parseDockerPs, parseMeminfo, parseNvidiaSmi, splitSections } from './parsers.js';

// Recorded formats: nvidia-smi on a discrete GPU, on a GB10 (memory [N/A]), and an older driver's "Not Supported".
const SMI_DISCRETE = 'NVIDIA RTX A6000, 37, 61, 112.45, 20480, 49140\n';
const SMI_GB10 = 'NVIDIA GB10, 96, 71, 87.12, [N/A], [N/A]\n';
const SMI_OLD = 'NVIDIA GB10, [Not Supported], 45, [N/A], Not Supported, Not Supported\n';
const MEMINFO = 'MemTotal:       127535496 kB\nMemFree:         2203132 kB\nMemAvailable:   98765432 kB\nBuffers:          123 kB\n';
const IP_ADDR = JSON.stringify([
  { ifindex: 1, ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
  { ifindex: 2, ifname: 'enP7s7', addr_info: [{ family: 'inet', local: '192.0.2.12', prefixlen: 24 }, { family: 'inet6', local: 'fe80::1', prefixlen: 64 }] },
  { ifindex: 5, ifname: 'wg0', addr_info: [{ family: 'inet', local: '10.8.0.2', prefixlen: 24 }] },
  { ifindex: 6, ifname: 'tun0', addr_info: [{ family: 'inet', local: '10.9.0.2', prefixlen: 24 }] },
]);
const IP_LINK = JSON.stringify([
  { ifindex: 1, ifname: 'lo' }, { ifindex: 2, ifname: 'enP7s7' },
  { ifindex: 5, ifname: 'wg0', linkinfo: { info_kind: 'wireguard' } }, { ifindex: 6, ifname: 'tun0', linkinfo: { info_kind: 'tun' } },
]);
const DOCKER_PS = [
  '{"Command":"\\"vllm serve /models/qwen\\"","CreatedAt":"2026-11-20 10:00:00 +0000 UTC","ID":"3f2a1b","Image":"vllm-node:latest","Names":"vllm_node","State":"running","Status":"Up 2 hours"}',
  '{"Command":"\\"node bot.js\\"","CreatedAt":"2026-11-19 09:00:00 +0000 UTC","ID":"9c8d7e","Image":"matrix-bot:latest","Names":"matrix-bot","State":"running","Status":"Up 3 days (healthy)"}',
].join('\n');

describe('cluster parsers', () => {
  it('reads nvidia-smi with numbers, [N/A] and Not Supported', () => {
    expect(parseNvidiaSmi(SMI_DISCRETE)[0]).toEqual({ name: 'NVIDIA RTX A6000', utilizationPct: 37, temperatureC: 61, powerW: 112.45, memoryUsedMiB: 20480, memoryTotalMiB: 49140 });
    expect(parseNvidiaSmi(SMI_GB10)[0]).toMatchObject({ name: 'NVIDIA GB10', utilizationPct: 96, memoryUsedMiB: null, memoryTotalMiB: null });
    expect(parseNvidiaSmi(SMI_OLD)[0]).toMatchObject({ utilizationPct: null, temperatureC: 45, powerW: null, memoryTotalMiB: null });
    expect(parseNvidiaSmi('NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver.\n')).toEqual([]);
  });

  it('reads /proc/meminfo (used = total - available)', () => {
    expect(parseMeminfo(MEMINFO)).toEqual({ totalKiB: 127535496, availableKiB: 98765432, usedKiB: 127535496 - 98765432 });
    expect(parseMeminfo('garbage')).toBeNull();
  });

  it('finds WireGuard IPv4 addresses by interface kind, not by name', () => {
    expect(findVpnAddresses(IP_ADDR, IP_LINK)).toEqual([{ ifname: 'wg0', address: '10.8.0.2' }]);
    expect(findVpnAddresses(IP_ADDR, '[]')).toEqual([]);
    expect(findVpnAddresses('not json', IP_LINK)).toEqual([]);
  });

  it('reads docker ps JSON lines and reports a daemon error instead of crashing', () => {
    const r = parseDockerPs(DOCKER_PS);
    expect(r.containers.map((c) => c.name)).toEqual(['vllm_node', 'matrix-bot']);
    expect(r.containers[1].status).toBe('Up 3 days (healthy)');
    expect(parseDockerPs('permission denied while trying to connect to the Docker daemon socket').error).toMatch(/permission denied/);
  });

  it('reads df -Pk and splits probe sections', () => {
    expect(parseDf('Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/nvme0n1p2 3844607312 1234567 3643040745 1% /\n')).toEqual({ sizeKiB: 3844607312, usedKiB: 1234567, availKiB: 3643040745, mount: '/' });
    expect(splitSections('@@a\n1\n2\n@@b\nx\n@@end\n')).toEqual({ a: '1\n2\n', b: 'x\n', end: '' });
  });
});

// Fake `ip` (iproute2 JSON output) for the simulated Sparks. Interfaces come from $SIM_STATE/net.json when present,
// else a default: lo, enP7s7 (LAN), and on spark-2 a WireGuard interface wg0. Addresses are documentation ranges.
import { join } from 'node:path';
import { STATE, readJson } from './state.mjs';

const host = process.env.SIM_HOST_ID ?? 'spark-1';
const n = Number(host.replace(/\D/g, '')) || 1;
const defaults = [
  { ifname: 'lo', kind: undefined, flags: ['LOOPBACK', 'UP', 'LOWER_UP'], link_type: 'loopback', addr: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
  { ifname: 'enP7s7', kind: undefined, flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], link_type: 'ether', addr: [{ family: 'inet', local: `192.0.2.${10 + n}`, prefixlen: 24 }] },
  ...(n === 2 ? [{ ifname: 'wg0', kind: 'wireguard', flags: ['POINTOPOINT', 'NOARP', 'UP', 'LOWER_UP'], link_type: 'none', addr: [{ family: 'inet', local: '10.8.0.2', prefixlen: 24 }] }] : []),
];
const ifaces = readJson(join(STATE, 'net.json'), defaults);
const args = process.argv.slice(2).filter((a) => a !== '-j' && a !== '-json' && a !== '-d' && a !== '-details');
const json = process.argv.includes('-j') || process.argv.includes('-json');
const details = process.argv.includes('-d') || process.argv.includes('-details');
const obj = args[0];
if (!json) { process.stderr.write('fake ip: only -j output is simulated\n'); process.exit(1); }
const base = (i, idx) => ({ ifindex: idx + 1, ifname: i.ifname, flags: i.flags, mtu: i.kind === 'wireguard' ? 1420 : i.ifname === 'lo' ? 65536 : 1500, qdisc: 'noqueue', operstate: i.ifname === 'lo' ? 'UNKNOWN' : 'UP', group: 'default', link_type: i.link_type });
if (obj === 'addr' || obj === 'a' || obj === 'address') {
  process.stdout.write(JSON.stringify(ifaces.map((i, idx) => ({ ...base(i, idx), addr_info: i.addr.map((a) => ({ family: a.family, local: a.local, prefixlen: a.prefixlen, scope: i.ifname === 'lo' ? 'host' : 'global', label: i.ifname, valid_life_time: 4294967295, preferred_life_time: 4294967295 })) }))) + '\n');
} else if (obj === 'link' || obj === 'l') {
  process.stdout.write(JSON.stringify(ifaces.map((i, idx) => ({ ...base(i, idx), ...(details && i.kind ? { linkinfo: { info_kind: i.kind } } : {}), ...(i.link_type === 'ether' ? { address: `02:00:00:00:0${n}:01`, broadcast: 'ff:ff:ff:ff:ff:ff' } : {}) }))) + '\n');
} else {
  process.stderr.write(`fake ip: object "${obj}" not simulated\n`);
  process.exit(1);
}

/** Parsers for the probe outputs, each tolerant of the odd fields real machines print (`[N/A]`, `Not Supported`). */

export interface GpuInfo {
  name: string;
  utilizationPct: number | null;
  temperatureC: number | null;
  powerW: number | null;
  memoryUsedMiB: number | null;
  memoryTotalMiB: number | null;
}

const num = (s: string | undefined): number | null => {
  if (s === undefined) return null;
  const t = s.trim();
  if (!t || /^\[?(N\/A|Not Supported|Unknown Error|Insufficient Permissions)\]?$/i.test(t)) return null;
  const n = Number(t.replace(/\s*(%|W|MiB|C)$/i, ''));
  return Number.isFinite(n) ? n : null;
};

/** `nvidia-smi --query-gpu=name,utilization.gpu,temperature.gpu,power.draw,memory.used,memory.total --format=csv,noheader,nounits` */
export function parseNvidiaSmi(out: string): GpuInfo[] {
  return out.split('\n').map((l) => l.trim()).filter((l) => l && !/^(NVIDIA-SMI has failed|Failed|No devices)/i.test(l) && l.includes(',')).map((l) => {
    const [name, util, temp, power, used, total] = l.split(',').map((x) => x.trim());
    return { name, utilizationPct: num(util), temperatureC: num(temp), powerW: num(power), memoryUsedMiB: num(used), memoryTotalMiB: num(total) };
  });
}

export interface MemInfo { totalKiB: number; availableKiB: number; usedKiB: number }
export function parseMeminfo(out: string): MemInfo | null {
  const get = (k: string) => { const m = new RegExp(`^${k}:\\s+(\\d+)\\s*kB`, 'm').exec(out); return m ? Number(m[1]) : null; };
  const total = get('MemTotal');
  const avail = get('MemAvailable') ?? get('MemFree');
  if (total === null || avail === null) return null;
  return { totalKiB: total, availableKiB: avail, usedKiB: total - avail };
}

export function parseLoadavg(out: string): { load1: number; load5: number; load15: number } | null {
  const p = out.trim().split(/\s+/).map(Number);
  return p.length >= 3 && p.slice(0, 3).every(Number.isFinite) ? { load1: p[0], load5: p[1], load15: p[2] } : null;
}

export function parseUptimeSeconds(out: string): number | null {
  const n = Number(out.trim().split(/\s+/)[0]);
  return Number.isFinite(n) ? n : null;
}

/** `df -Pk <path> | tail -1` → size/used/available in KiB. */
export function parseDf(out: string): { sizeKiB: number; usedKiB: number; availKiB: number; mount: string } | null {
  const p = out.trim().split('\n').pop()?.trim().split(/\s+/) ?? [];
  if (p.length < 6 || !/^\d+$/.test(p[1])) return null;
  return { sizeKiB: Number(p[1]), usedKiB: Number(p[2]), availKiB: Number(p[3]), mount: p[5] };
}

export function parseDuKiB(out: string): number | null {
  const m = /^(\d+)\s/.exec(out.trim());
  return m ? Number(m[1]) : null;
}

export interface ContainerInfo { id: string; name: string; image: string; state: string; status: string }
/** `docker ps --format '{{json .}}'`: one JSON object per line. */
export function parseDockerPs(out: string): { containers: ContainerInfo[]; error?: string } {
  const containers: ContainerInfo[] = [];
  let error: string | undefined;
  for (const line of out.split('\n').map((l) => l.trim()).filter(Boolean)) {
    if (!line.startsWith('{')) { error ??= line.slice(0, 200); continue; }
    try {
      const c = JSON.parse(line) as Record<string, string>;
      containers.push({ id: c.ID, name: c.Names, image: c.Image, state: c.State ?? '', status: c.Status ?? '' });
    } catch { error ??= 'unreadable docker ps line'; }
  }
  return { containers, ...(error ? { error } : {}) };
}

/** WireGuard addresses: interfaces whose kind (from `ip -d -j link`) is wireguard, with IPv4s from `ip -j addr`. */
export function findVpnAddresses(addrJson: string, linkJson: string): Array<{ ifname: string; address: string }> {
  let addrs: Array<{ ifname: string; addr_info?: Array<{ family: string; local: string }> }>;
  let links: Array<{ ifname: string; linkinfo?: { info_kind?: string } }>;
  try { addrs = JSON.parse(addrJson); links = JSON.parse(linkJson); } catch { return []; }
  if (!Array.isArray(addrs) || !Array.isArray(links)) return [];
  const wg = new Set(links.filter((l) => l.linkinfo?.info_kind === 'wireguard').map((l) => l.ifname));
  return addrs.filter((a) => wg.has(a.ifname)).flatMap((a) => (a.addr_info ?? []).filter((i) => i.family === 'inet').map((i) => ({ ifname: a.ifname, address: i.local })));
}

/** Split the probe's output into its `@@name` sections. */
export function splitSections(out: string): Record<string, string> {
  const res: Record<string, string> = {};
  let cur: string | undefined;
  for (const line of out.replace(/\n$/, '').split('\n')) {
    const m = /^@@([a-z]+)$/.exec(line);
    if (m) { cur = m[1]; res[cur] = ''; continue; }
    if (cur) res[cur] += line + '\n';
  }
  return res;
}

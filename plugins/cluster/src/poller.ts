import type { PluginContext } from '@spark-control/plugin-api';
import type { ClusterPluginConfig } from './config.js';
import { probeCommand } from './probe.js';
import {
  findVpnAddresses, parseDf, parseDockerPs, parseDuKiB, parseLoadavg, parseMeminfo, parseNvidiaSmi, parseUptimeSeconds, splitSections,
  type ContainerInfo, type GpuInfo,
} from './parsers.js';

export interface HostSnapshot {
  hostId: string;
  name: string;
  address: string;
  reachable: boolean;
  /** When `reachable` last changed. */
  since: string;
  polledAt?: string;
  error?: string;
  gpu?: GpuInfo[];
  /** GPU memory from NVML, or from /proc/meminfo when NVML says N/A (GB10 unified memory). */
  memory?: { usedMiB: number; totalMiB: number; source: 'nvml' | 'meminfo' };
  cpu?: { load1: number; load5: number; load15: number; cores: number | null };
  disk?: { sizeKiB: number; usedKiB: number; availKiB: number; mount: string; cacheKiB?: number };
  uptimeSeconds?: number | null;
  containers?: ContainerInfo[];
  dockerError?: string;
  vpn?: Array<{ ifname: string; address: string }>;
  latencyMs?: number;
}

/** One poll loop per host; the latest snapshot feeds the tile, the REST API and the health checks alike. */
export class ClusterPoller {
  readonly snapshots = new Map<string, HostSnapshot>();
  private polls = 0;
  private readonly running = new Map<string, Promise<HostSnapshot>>();

  constructor(private readonly ctx: PluginContext<ClusterPluginConfig>) {}

  private cfg() {
    return this.ctx.config.get();
  }

  /** Poll one host now (never two polls of the same host at once). */
  poll(hostId: string): Promise<HostSnapshot> {
    const existing = this.running.get(hostId);
    if (existing) return existing;
    const p = this.doPoll(hostId).finally(() => this.running.delete(hostId));
    this.running.set(hostId, p);
    return p;
  }

  pollAll(): Promise<HostSnapshot[]> {
    this.polls++;
    return Promise.all(this.ctx.cluster.hosts().map((h) => this.poll(h.id)));
  }

  private async doPoll(hostId: string): Promise<HostSnapshot> {
    const host = this.ctx.cluster.host(hostId);
    const prev = this.snapshots.get(hostId);
    const base = { hostId, name: host?.name ?? hostId, address: host?.address ?? '' };
    const cfg = this.cfg();
    const withDu = !prev?.disk?.cacheKiB || this.polls % cfg.diskUsageEveryPolls === 1;
    const t0 = Date.now();
    let snap: HostSnapshot;
    try {
      const r = await this.ctx.ssh.exec(hostId, probeCommand(cfg.modelCacheDir, withDu), { timeoutMs: cfg.pollTimeoutMs });
      const s = splitSections(r.stdout);
      if (s.end === undefined) throw new Error('the probe did not finish');
      const gpu = parseNvidiaSmi(s.gpu ?? '');
      const mem = parseMeminfo(s.meminfo ?? '');
      const load = parseLoadavg(s.loadavg ?? '');
      const df = parseDf(s.disk ?? '');
      const du = s.cache !== undefined ? parseDuKiB(s.cache) : prev?.disk?.cacheKiB ?? null;
      const docker = parseDockerPs(s.docker ?? '');
      const g0 = gpu[0];
      const memory = g0?.memoryTotalMiB
        ? { usedMiB: g0.memoryUsedMiB ?? 0, totalMiB: g0.memoryTotalMiB, source: 'nvml' as const }
        : mem ? { usedMiB: Math.round(mem.usedKiB / 1024), totalMiB: Math.round(mem.totalKiB / 1024), source: 'meminfo' as const } : undefined;
      snap = {
        ...base, reachable: true, since: prev?.reachable ? prev.since : new Date().toISOString(), polledAt: new Date().toISOString(),
        gpu, memory,
        cpu: load ? { ...load, cores: Number((s.nproc ?? '').trim()) || null } : undefined,
        disk: df ? { ...df, ...(du !== null ? { cacheKiB: du } : {}) } : undefined,
        uptimeSeconds: parseUptimeSeconds(s.uptime ?? ''),
        containers: docker.containers, ...(docker.error ? { dockerError: docker.error } : {}),
        vpn: findVpnAddresses(s.ipaddr ?? '', s.iplink ?? ''),
        latencyMs: Date.now() - t0,
      };
    } catch (e) {
      snap = {
        ...(prev ?? {}), ...base, reachable: false, since: prev && !prev.reachable ? prev.since : new Date().toISOString(),
        polledAt: new Date().toISOString(), error: (e as Error).message,
      };
    }
    this.snapshots.set(hostId, snap);
    this.ctx.health.report(`host:${hostId}`, snap.reachable ? { status: 'up', detail: `${snap.latencyMs} ms` } : { status: 'down', detail: snap.error }, { hostId, service: 'ssh' });
    this.ctx.events.emit('cluster.host', snap);
    return snap;
  }

  /** The transport saw a connection drop between polls: record it now, then confirm with a poll. */
  onTransportDown(hostId: string, reason: string): void {
    const prev = this.snapshots.get(hostId);
    if (prev) this.snapshots.set(hostId, { ...prev, reachable: false, since: new Date().toISOString(), error: reason });
    this.ctx.health.report(`host:${hostId}`, { status: 'down', detail: reason }, { hostId, service: 'ssh' });
    void this.poll(hostId).catch(() => {});
  }
}

import type { ClusterView, HostInfo, ServiceEndpoint } from '../api/types.js';
import { SparkError } from '../api/errors.js';
import type { ClusterConfig } from '../config/schema.js';
import { codes } from '../api/codes.js';

/** Effective hosts and service map: the configured cluster, or the simulated one with its fakes' ports. It knows no
 *  service by name: a plugin declares its services' default host and port in its manifest (`manifest.services`), and
 *  `config.json`'s `services` map overrides them. */
export class Topology implements Omit<ClusterView, 'watch' | 'memoryReservations'> {
  private cluster: ClusterConfig = { hosts: [], services: {} };
  /** In simulation: service → fake port on 127.0.0.1. */
  private simPorts: Record<string, { hostId: string; port: number }> = {};
  private readonly watchers = new Set<() => void>();

  set(cluster: ClusterConfig): void {
    this.cluster = cluster;
    for (const w of this.watchers) { try { w(); } catch { /* isolated */ } }
  }

  setSimulatedServices(ports: Record<string, { hostId: string; port: number }>): void {
    this.simPorts = { ...this.simPorts, ...ports };
    for (const w of this.watchers) { try { w(); } catch { /* isolated */ } }
  }

  watch(fn: () => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  hosts(): HostInfo[] {
    return this.cluster.hosts.map((h) => ({ ...h }));
  }

  host(id: string): HostInfo | undefined {
    const h = this.cluster.hosts.find((x) => x.id === id);
    return h ? { ...h } : undefined;
  }

  /** What config.json's services map says the service keeps of its host's memory, when it says so. */
  memoryGB(name: string): number | undefined {
    return this.cluster.services[name]?.memoryGB;
  }

  service(name: string, defaults?: { hostId?: string; port?: number }): ServiceEndpoint {
    const sim = this.simPorts[name];
    const mapped = this.cluster.services[name];
    const hostId = sim?.hostId ?? mapped?.hostId ?? defaults?.hostId;
    const port = sim?.port ?? mapped?.port ?? defaults?.port;
    const host = hostId ? this.host(hostId) : undefined;
    if (!hostId || !port || !host) {
      throw new SparkError(codes.SERVICE_UNMAPPED, `service ${name} is not mapped to a configured host${hostId ? ` (host ${hostId} is not configured)` : ''}`, {
        status: 503, details: { service: name, host: hostId },
      });
    }
    const address = sim ? '127.0.0.1' : host.address.includes(':') && !host.address.startsWith('[') ? `[${host.address}]` : host.address;
    return { service: name, hostId, host, port, baseUrl: `http://${address}:${port}` };
  }
}

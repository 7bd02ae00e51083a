import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { onPreferredPort } from './preferredPort.js';
import type { HostInfo, Logger, SimControl, SimHostSeed, SparkPlugin } from '../api/types.js';

/** What sim/cluster.ts provides (kept structural so core does not depend on sim's internals). */
interface SimCluster {
  hosts: Array<HostInfo & { hostPublicKey?: string }>;
  hostRoot(id: string): string;
  setHostDown(id: string, down: boolean): Promise<void> | void;
  isHostDown?(id: string): boolean;
  setServicePorts(ports: Record<string, number>): void;
  stop(): Promise<void>;
}

export interface Simulation {
  hosts: HostInfo[];
  servicePorts: Record<string, { hostId: string; port: number }>;
  control: SimControl;
  /** The cluster object itself, when it runs in this process (tests reach into its SSH servers). */
  cluster?: SimCluster;
  /** Where it runs and whether it is up (the simulator process; absent when in-process, which is always up). */
  status?(): SimulatorStatus;
  stop(): Promise<void>;
}

/** The simulator as `/health`, `/api/info` and the `sim.state` event show it. */
export interface SimulatorStatus {
  /** `running`: serving; `down`: its process died, a restart is scheduled (`retryAt`); `starting`: being restarted. */
  state: 'running' | 'down' | 'starting';
  since: string;
  pid?: number;
  restarts: number;
  /** How the last process ended, e.g. `signal SIGKILL`, `exit code 1`. */
  lastExit?: string;
  retryAt?: string;
}

export interface SimulationOptions {
  dataDir: string;
  publicKey: string;
  hostCount: number;
  /** `npm start`'s demo: simulators seed what already runs on an owner's Sparks (see SimHostSeed.demo). */
  demo?: boolean;
  log: Logger;
  plugins: SparkPlugin[];
  /** Listen on these SSH ports again (a restarted simulator process), falling back to any free port. */
  sshPorts?: Record<string, number>;
  /** Start each fake on its port of an earlier run when that port is free (see onPreferredPort). */
  servicePorts?: Record<string, number>;
  /** In a simulator process: whether the control plane is still there (commands outlive it, see sim/ssh). */
  controllerAlive?: () => boolean;
}

/** The embedded simulated cluster: SSH servers running real bash over fake tools, plus every plugin's fake HTTP
 *  services, all on 127.0.0.1. Used by `npm start` with no hosts configured and by the tests. */
export async function startSimulation(o: SimulationOptions): Promise<Simulation> {
  const simDir = join(o.dataDir, 'sim');
  mkdirSync(simDir, { recursive: true });
  const { startSimCluster } = await import('../../../sim/cluster.js');
  const cluster: SimCluster = await startSimCluster({ dataDir: o.dataDir, hostCount: o.hostCount, authorizedKeys: [o.publicKey], demo: o.demo, sshPorts: o.sshPorts, controllerAlive: o.controllerAlive, log: o.log, seedHost: (h) => seedHost(o, h) });
  const hostRoots = Object.fromEntries(cluster.hosts.map((h) => [h.id, cluster.hostRoot(h.id)]));
  const servicePorts: Simulation['servicePorts'] = {};
  const closers: Array<() => Promise<void>> = [];
  for (const p of o.plugins) {
    for (const svc of p.simulators ?? []) {
      if (!svc.start) continue;
      try {
        const stateDir = join(simDir, 'services', svc.service);
        mkdirSync(stateDir, { recursive: true });
        const started = await onPreferredPort(o.servicePorts?.[svc.service], () => svc.start!({ stateDir, hostRoots, log: o.log.child({ sim: svc.service }) }));
        servicePorts[svc.service] = { hostId: svc.hostId, port: started.port };
        closers.push(started.close);
      } catch (e) {
        o.log.error('simulated service failed to start', { service: svc.service, plugin: p.manifest.id, error: (e as Error).message });
      }
    }
  }
  cluster.setServicePorts(Object.fromEntries(Object.entries(servicePorts).map(([k, v]) => [k, v.port])));
  const down = new Set<string>();
  o.log.info('simulated cluster running', { hosts: cluster.hosts.map((h) => `${h.id}@127.0.0.1:${h.sshPort}`), services: Object.fromEntries(Object.entries(servicePorts).map(([k, v]) => [k, v.port])) });
  return {
    hosts: cluster.hosts.map(({ id, name, address, sshUser, sshPort, linkAddress }) => ({ id, name, address, sshUser, sshPort, linkAddress })),
    servicePorts,
    cluster,
    control: {
      hosts: () => cluster.hosts.map(({ id, name, address, sshUser, sshPort, linkAddress }) => ({ id, name, address, sshUser, sshPort, linkAddress })),
      hostRoot: (id) => cluster.hostRoot(id),
      setHostDown: async (id, isDown) => {
        await cluster.setHostDown(id, isDown);
        if (isDown) down.add(id);
        else down.delete(id);
      },
      isHostDown: (id) => cluster.isHostDown?.(id) ?? down.has(id),
    },
    async stop() {
      for (const c of closers.reverse()) await c().catch(() => {});
      await cluster.stop();
    },
  };
}

/** Every simulator's files on one host; a simulator whose seeding throws is logged and the others still seed. */
async function seedHost(o: SimulationOptions, host: SimHostSeed): Promise<void> {
  for (const p of o.plugins) {
    for (const svc of p.simulators ?? []) {
      try {
        await svc.seedHost?.(host);
      } catch (e) {
        o.log.error('simulator failed to seed a host', { service: svc.service, plugin: p.manifest.id, host: host.hostId, error: (e as Error).message });
      }
    }
  }
}

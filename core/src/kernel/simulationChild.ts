/**
 * The simulated cluster as its own process, forked by SimulationProcess (simulationProcess.ts): the SSH servers and
 * every plugin's fakes run here, so a fake that throws ends this process, never the control plane. It imports the
 * plugins by their entry files again to reach their simulators. Messages (JSON over the IPC channel):
 *   parent → child  { t: 'start', init }  { t: 'call', id, method: 'setHostDown', args }  { t: 'stop' }
 *   child → parent  { t: 'ready', hosts, servicePorts, hostRoots }  { t: 'reply', id, error? }  { t: 'log', … }
 * It exits when the parent goes away (the IPC channel closes), so a killed control plane leaves no simulator behind
 * (the commands running on the simulated Sparks go on, as on real ones).
 */
import type { Logger, SparkPlugin } from '../api/types.js';
import { importCandidate } from './discovery.js';
import { startSimulation, type Simulation } from './simulation.js';

export interface SimChildInit {
  dataDir: string;
  publicKey: string;
  hostCount: number;
  demo: boolean;
  /** Entry files of the plugins whose simulators run here. */
  entries: string[];
  sshPorts?: Record<string, number>;
  servicePorts?: Record<string, number>;
}

export type SimChildMessage =
  | { t: 'ready'; hosts: Simulation['hosts']; servicePorts: Simulation['servicePorts']; hostRoots: Record<string, string> }
  | { t: 'reply'; id: number; error?: string }
  | { t: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; msg: string; fields?: Record<string, unknown> };

const send = (m: SimChildMessage) => { if (process.connected) process.send!(m); };

function ipcLogger(base: Record<string, unknown> = {}): Logger {
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (msg: string, fields?: Record<string, unknown>) => send({ t: 'log', level, msg, fields: { ...base, ...fields } });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (f) => ipcLogger({ ...base, ...f }) };
}

let sim: Simulation | undefined;
const log = ipcLogger();

async function start(init: SimChildInit): Promise<void> {
  const plugins: SparkPlugin[] = [];
  for (const entry of init.entries) {
    try {
      plugins.push(await importCandidate({ source: 'builtin', name: entry, entry, uiDir: '' }));
    } catch (e) {
      log.error('simulator cannot import a plugin: its fakes are missing', { entry, error: (e as Error).message });
    }
  }
  sim = await startSimulation({ dataDir: init.dataDir, publicKey: init.publicKey, hostCount: init.hostCount, demo: init.demo, sshPorts: init.sshPorts, servicePorts: init.servicePorts, controllerAlive: () => process.connected, log, plugins });
  const hostRoots = Object.fromEntries(sim.hosts.map((h) => [h.id, sim!.control.hostRoot(h.id)]));
  send({ t: 'ready', hosts: sim.hosts, servicePorts: sim.servicePorts, hostRoots });
}

async function stop(code: number): Promise<never> {
  const force = setTimeout(() => process.exit(code), 5000);
  force.unref();
  await sim?.stop().catch(() => {});
  process.exit(code);
}

process.on('message', (m: { t: string; init?: SimChildInit; id?: number; method?: string; args?: unknown[] }) => {
  if (m.t === 'start') {
    start(m.init!).catch((e: Error) => { process.stderr.write(`simulated cluster failed to start: ${e.stack ?? e.message}\n`); process.exit(1); });
  } else if (m.t === 'call' && m.method === 'setHostDown') {
    const [hostId, down] = m.args as [string, boolean];
    Promise.resolve(sim?.control.setHostDown(hostId, down))
      .then(() => send({ t: 'reply', id: m.id! }), (e: Error) => send({ t: 'reply', id: m.id!, error: e.message }));
  } else if (m.t === 'stop') {
    void stop(0);
  }
});
// The control plane is gone (killed, or it crashed): end at once and leave the Sparks' commands running, as a Spark
// outlives its controller; an orderly stop (the 'stop' message, SIGTERM) ends them.
process.on('disconnect', () => process.exit(0));
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => { void stop(0); });

import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { HostInfo, Logger } from '../api/types.js';
import type { SimChildInit, SimChildMessage } from './simulationChild.js';
import type { Simulation, SimulatorStatus } from './simulation.js';

export interface SimulationProcessOptions extends Omit<SimChildInit, 'sshPorts' | 'servicePorts'> {
  log: Logger;
  /** Every transition of the simulator process (down, starting, running), for the event bus and the dashboard. */
  onStatus(s: SimulatorStatus): void;
  /** After a restart: the hosts and the fakes' ports it has now (the SSH ports are kept when they are free). */
  onRestarted(hosts: HostInfo[], servicePorts: Simulation['servicePorts']): void;
  /** First restart delay; doubles per crash in a row up to maxBackoffMs (default 500 ms → 15 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
}

const START_TIMEOUT_MS = 60_000;
const CALL_TIMEOUT_MS = 10_000;
/** Running this long resets the backoff: the next crash is restarted at once again. */
const STABLE_MS = 30_000;

/** The simulated cluster in a child process (`npm start`): a fake that crashes takes only that process down. It is
 *  restarted with backoff on the same data dir, so the Sparks keep their state, host keys and (when free) SSH ports;
 *  a Spark taken down on purpose stays down across the restart. Meanwhile the Sparks are unreachable, as over a cut
 *  link. Plugins passed as objects (tests) cannot cross a process boundary: App runs those in-process instead. */
export async function startSimulationProcess(o: SimulationProcessOptions): Promise<Simulation> {
  const log = o.log;
  let child: ChildProcess | undefined;
  let stopping = false;
  let restarts = 0;
  let failuresInRow = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let hosts: HostInfo[] = [];
  let servicePorts: Simulation['servicePorts'] = {};
  let hostRoots: Record<string, string> = {};
  const down = new Set<string>();
  const pending = new Map<number, { resolve(): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  let nextId = 1;
  let status: SimulatorStatus = { state: 'starting', since: new Date().toISOString(), restarts: 0 };
  const setStatus = (s: Omit<SimulatorStatus, 'since' | 'restarts'>) => {
    status = { ...s, since: new Date().toISOString(), restarts };
    o.onStatus(status);
  };

  const call = (method: string, args: unknown[]) => new Promise<void>((resolve, reject) => {
    if (!child?.connected || status.state === 'down') { reject(new Error(`the simulator is ${status.state}`)); return; }
    const id = nextId++;
    const timer = setTimeout(() => { pending.delete(id); reject(new Error(`simulator did not answer ${method} in ${CALL_TIMEOUT_MS} ms`)); }, CALL_TIMEOUT_MS);
    pending.set(id, { resolve, reject, timer });
    child.send({ t: 'call', id, method, args });
  });

  /** One child process, up to its `ready` message. */
  const spawnChild = () => new Promise<void>((resolve, reject) => {
    const sshPorts = Object.fromEntries(hosts.map((h) => [h.id, h.sshPort]));
    const c = fork(childEntry(), [], {
      execArgv: childExecArgv(), stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Its own process group: Ctrl-C in the terminal reaches the control plane, which stops the simulator in order.
      detached: true,
    });
    child = c;
    // A send on a channel that just closed, or a fork that failed, is an 'error' event: unhandled, it would end us.
    c.on('error', (e) => log.warn('simulator process error', { error: e.message, pid: c.pid }));
    for (const [stream, level] of [[c.stdout!, 'info'], [c.stderr!, 'warn']] as const) {
      createInterface({ input: stream }).on('line', (line) => { if (line.trim()) log[level](line, { sim: 'process', pid: c.pid }); });
    }
    const startTimer = setTimeout(() => { reject(new Error(`simulator did not start in ${START_TIMEOUT_MS / 1000} s`)); c.kill('SIGKILL'); }, START_TIMEOUT_MS);
    c.on('message', (m: SimChildMessage) => {
      if (m.t === 'log') log[m.level](m.msg, m.fields);
      else if (m.t === 'reply') {
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        clearTimeout(p.timer);
        if (m.error) p.reject(new Error(m.error)); else p.resolve();
      } else if (m.t === 'ready') {
        clearTimeout(startTimer);
        hosts = m.hosts; servicePorts = m.servicePorts; hostRoots = m.hostRoots;
        resolve();
      }
    });
    c.once('exit', (code, signal) => {
      clearTimeout(startTimer);
      const how = signal ? `signal ${signal}` : `exit code ${code}`;
      for (const [id, p] of pending) { clearTimeout(p.timer); p.reject(new Error(`simulator ended (${how})`)); pending.delete(id); }
      reject(new Error(`simulator ended before it was ready (${how})`));
      if (child === c) child = undefined;
      if (!stopping && status.state === 'running') onCrash(how);
    });
    c.send({ t: 'start', init: { dataDir: o.dataDir, publicKey: o.publicKey, hostCount: o.hostCount, demo: o.demo, entries: o.entries, ...(hosts.length ? { sshPorts, servicePorts: Object.fromEntries(Object.entries(servicePorts).map(([name, s]) => [name, s.port])) } : {}) } satisfies SimChildInit });
  });

  const scheduleRestart = (lastExit: string) => {
    const delay = Math.min((o.backoffMs ?? 500) * 2 ** failuresInRow, o.maxBackoffMs ?? 15_000);
    failuresInRow++;
    setStatus({ state: 'down', lastExit, retryAt: new Date(Date.now() + delay).toISOString() });
    retryTimer = setTimeout(() => void restart(lastExit), delay);
  };
  let runningSince = 0;
  const onCrash = (how: string) => {
    if (Date.now() - runningSince > STABLE_MS) failuresInRow = 0;
    log.error('simulated cluster process ended: the simulated Sparks are unreachable until it is restarted', { exit: how });
    scheduleRestart(how);
  };
  const restart = async (lastExit: string) => {
    if (stopping) return;
    restarts++;
    setStatus({ state: 'starting', lastExit });
    try {
      await spawnChild();
      if (stopping) return;
      for (const id of down) await call('setHostDown', [id, true]).catch(() => {});
      if (!child) throw new Error('simulator ended while it was being restarted');
      runningSince = Date.now();
      setStatus({ state: 'running', pid: child?.pid, lastExit });
      log.info('simulated cluster is back', { pid: child?.pid, restarts });
      o.onRestarted(hosts, servicePorts);
    } catch (e) {
      if (stopping) return;
      log.error('simulated cluster did not come back', { error: (e as Error).message });
      scheduleRestart((e as Error).message);
    }
  };

  await spawnChild();
  runningSince = Date.now();
  setStatus({ state: 'running', pid: child?.pid });
  return {
    get hosts() { return hosts; },
    get servicePorts() { return servicePorts; },
    status: () => status,
    control: {
      hosts: () => hosts.map((h) => ({ ...h })),
      hostRoot: (id) => {
        const root = hostRoots[id];
        if (!root) throw new Error(`no simulated host ${id}`);
        return root;
      },
      setHostDown: async (id, isDown) => {
        if (!hostRoots[id]) throw new Error(`no simulated host ${id}`);
        await call('setHostDown', [id, isDown]);
        if (isDown) down.add(id); else down.delete(id);
      },
      isHostDown: (id) => down.has(id),
    },
    async stop() {
      stopping = true;
      clearTimeout(retryTimer);
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise<void>((r) => c.once('exit', () => r()));
      if (c.connected) c.send({ t: 'stop' }); else c.kill('SIGTERM');
      const force = setTimeout(() => c.kill('SIGKILL'), 8000);
      await gone;
      clearTimeout(force);
    },
  };
}

/** The built child when running from dist/ (plain node), the TypeScript source through tsx otherwise (dev, tests). */
function childEntry(): string {
  return fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './simulationChild.ts' : './simulationChild.js', import.meta.url));
}
function childExecArgv(): string[] {
  if (!import.meta.url.endsWith('.ts')) return [];
  return ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];
}

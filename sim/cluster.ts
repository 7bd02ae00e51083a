import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger, SimHostSeed } from '../core/src/api/index.js';
import { generateUsableKeyPair } from '../core/src/services/ssh/keyPair.js';
import { addContainer } from './containers.js';
import { SimSshServer } from './ssh/SimSshServer.js';
import { installTool } from './tools.js';

const repoRoot = fileURLToPath(new URL(runningFromDist() ? '../../../' : '../', import.meta.url));
function runningFromDist(): boolean {
  return fileURLToPath(import.meta.url).includes('/dist/server/');
}

export interface SimHost {
  id: string;
  name: string;
  address: string;
  sshPort: number;
  sshUser: string;
  hostPublicKey: string;
  /** Address on the simulated link between the Sparks (never contacted: the fake ssh/rsync map it to a fake root). */
  linkAddress: string;
}

export interface SimClusterOptions {
  dataDir: string;
  hostCount?: number;
  authorizedKeys: string[];
  /** Also accept this password (key-install flows); default SIM_DEMO_PASSWORD, the one the README documents. */
  password?: string;
  /** `npm start`'s demo: plugins seed what already runs on an owner's Sparks; tests start with nothing running. */
  demo?: boolean;
  /** Plants the plugins' files on each host before its SSH server listens (the kernel passes every simulator's
   *  `seedHost`; the simulator itself knows no plugin). */
  seedHost?: (host: SimHostSeed) => void | Promise<void>;
  /** SSH port per host id to listen on again (a restarted simulator keeps its ports when it can); default any port. */
  sshPorts?: Record<string, number>;
  /** See SimSshServerOptions.controllerAlive (set by the simulator process). */
  controllerAlive?: () => boolean;
  log?: Logger;
}

export interface SimCluster {
  hosts: SimHost[];
  hostRoot(id: string): string;
  server(id: string): SimSshServer;
  setHostDown(id: string, down: boolean): void;
  isHostDown(id: string): boolean;
  setServicePorts(ports: Record<string, number>): void;
  stop(): Promise<void>;
}

/** The password every simulated Spark accepts, so Install key can be tried on `npm start` (README, Quick start). */
export const SIM_DEMO_PASSWORD = 'spark-demo';

/** Every Spark's own key pair (~/.ssh/id_ed25519, made once), authorized on every other Spark, and every other
 *  Spark's host key in its known_hosts under that Spark's link address: what the fake ssh (lib/sshTrust.mjs) checks. */
export function seedLinkTrust(roots: string[], linkAddresses: string[], hostKeys: string[]): void {
  const keyOf = (line: string) => line.trim().split(/\s+/).slice(0, 2).join(' ');
  const userKeys = roots.map((root) => {
    const dir = join(root, '.ssh');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!existsSync(join(dir, 'id_ed25519.pub'))) {
      const kp = generateUsableKeyPair(`spark@${basename(root)}`);
      writeFileSync(join(dir, 'id_ed25519'), kp.private, { mode: 0o600 });
      writeFileSync(join(dir, 'id_ed25519.pub'), `${kp.public.trim()}\n`);
    }
    return readFileSync(join(dir, 'id_ed25519.pub'), 'utf8').trim();
  });
  const addLine = (file: string, line: string, key: string) => {
    const have = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (!have.split('\n').some((l) => l.includes(key))) appendFileSync(file, `${line}\n`);
  };
  roots.forEach((root, i) => roots.forEach((_other, j) => {
    if (i === j) return;
    addLine(join(root, '.ssh', 'authorized_keys'), userKeys[j], keyOf(userKeys[j]));
    addLine(join(root, '.ssh', 'known_hosts'), `${linkAddresses[j]} ${keyOf(hostKeys[j])}`, `${linkAddresses[j]} ${keyOf(hostKeys[j])}`);
  }));
}

/** The simulated Spark cluster: one in-process ssh2 server per host running real bash over fake tools. */
export async function startSimCluster(o: SimClusterOptions): Promise<SimCluster> {
  const count = o.hostCount ?? 2;
  const servers = new Map<string, SimSshServer>();
  const roots = new Map<string, string>();
  const hosts: SimHost[] = [];
  const linkAddress = (i: number) => `10.203.250.${i}`;
  const peers: Record<string, { id: string; root: string }> = {};
  for (let i = 1; i <= count; i++) peers[linkAddress(i)] = { id: `spark-${i}`, root: join(o.dataDir, 'sim', `spark-${i}`) };
  for (let i = 1; i <= count; i++) {
    const id = `spark-${i}`;
    const root = join(o.dataDir, 'sim', id);
    mkdirSync(root, { recursive: true });
    await o.seedHost?.({ hostId: id, root, hostIds: Object.values(peers).map((p) => p.id), demo: !!o.demo, addContainer: (c) => addContainer(root, c), installTool: (name, script) => installTool(root, name, script) });
    const serverOn = (port?: number) => new SimSshServer({ hostId: id, root, binDir: join(repoRoot, 'sim/fakeroot/bin'), repoRoot, authorizedKeys: o.authorizedKeys, password: o.password ?? SIM_DEMO_PASSWORD, linkAddress: linkAddress(i), peers, port, controllerAlive: o.controllerAlive });
    let srv = serverOn(o.sshPorts?.[id]);
    const port = await srv.start().catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EADDRINUSE' || !o.sshPorts?.[id]) throw e;
      o.log?.warn('simulated Spark cannot have its port back: listening on another one', { host: id, port: o.sshPorts[id] });
      await srv.stop();
      srv = serverOn();
      return srv.start();
    });
    servers.set(id, srv);
    roots.set(id, root);
    hosts.push({ id, name: `Spark ${i} (simulated)`, address: '127.0.0.1', sshPort: port, sshUser: 'spark', hostPublicKey: srv.hostPublicKey, linkAddress: linkAddress(i) });
  }
  // The Sparks start out trusting each other over the link, as after the one-time setup eugr's launcher needs (Link
  // Sparks); a test makes them strangers by emptying a known_hosts or authorized_keys.
  seedLinkTrust([...roots.values()], hosts.map((h) => h.linkAddress), hosts.map((h) => h.hostPublicKey));
  const must = (id: string) => {
    const s = servers.get(id);
    if (!s) throw new Error(`no simulated host ${id}`);
    return s;
  };
  return {
    hosts,
    hostRoot: (id) => { must(id); return roots.get(id)!; },
    server: must,
    setHostDown: (id, down) => { must(id).setDown(down); o.log?.info(`simulated ${id} is ${down ? 'DOWN' : 'back up'}`); },
    isHostDown: (id) => must(id).isDown(),
    setServicePorts: (ports) => { for (const s of servers.values()) s.setServicePorts(ports); },
    async stop() { await Promise.all([...servers.values()].map((s) => s.stop())); },
  };
}

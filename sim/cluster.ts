import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../core/src/api/index.js';
import { generateUsableKeyPair } from '../core/src/services/ssh/keyPair.js';
import { SimSshServer } from './ssh/SimSshServer.js';

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
  /** Spark 1 starts out serving Qwen3 4B in `vllm_node` (the demo of `npm start`); tests start with nothing running. */
  preload?: boolean;
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

/** Seeds a fake root the first time: a Hugging Face cache with two models, and on spark-2 the bot's source repo. */
function seed(root: string, hostId: string, preloadModel: boolean): void {
  const seedDir = join(repoRoot, 'sim/fakeroot/seed', hostId);
  if (existsSync(seedDir)) cpSync(seedDir, root, { recursive: true, force: false });
  const hub = join(root, '.cache/huggingface/hub');
  if (!existsSync(hub)) {
    // The real models' attention shapes, so the fit estimate has something true to read.
    const models = [
      ['models--Qwen--Qwen3-4B-Instruct-2507', 3, { architectures: ['Qwen3ForCausalLM'], num_hidden_layers: 36, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 128, hidden_size: 2560, max_position_embeddings: 262144, torch_dtype: 'bfloat16' }],
      ['models--openai--gpt-oss-20b', 5, { architectures: ['GptOssForCausalLM'], num_hidden_layers: 24, num_attention_heads: 64, num_key_value_heads: 8, head_dim: 64, hidden_size: 2880, max_position_embeddings: 131072, torch_dtype: 'bfloat16' }],
    ] as const;
    for (const [repo, mb, config] of models) {
      const snap = join(hub, repo, 'snapshots', 'a1b2c3');
      mkdirSync(snap, { recursive: true });
      writeFileSync(join(snap, 'config.json'), JSON.stringify(config));
      writeFileSync(join(snap, 'model.safetensors'), Buffer.alloc(mb * 1024 * 1024));
    }
  }
  // eugr/spark-vllm-docker's launcher, where the owner keeps it.
  // Refreshed on every start: it is the simulator's, and an older copy in a kept data dir would lack what it learned since.
  const launcher = join(root, 'spark-vllm-docker/launch-cluster.sh');
  mkdirSync(join(root, 'spark-vllm-docker'), { recursive: true });
  cpSync(join(repoRoot, 'sim/vllm/launch-cluster.sh'), launcher);
  if (hostId === 'spark-1' && preloadModel && !existsSync(join(root, 'state/containers/vllm_node.json'))) {
    // What the launcher leaves behind after `--solo -d exec vllm serve …`, loaded a minute ago.
    const containers = join(root, 'state/containers');
    mkdirSync(containers, { recursive: true });
    const at = new Date(Date.now() - 60_000).toISOString();
    const serve = ['vllm', 'serve', 'Qwen/Qwen3-4B-Instruct-2507', '--host', '0.0.0.0', '--port', '8888', '--served-model-name', 'qwen3-4b'];
    writeFileSync(join(containers, 'vllm_node.json'), JSON.stringify({
      Id: 'a11'.padEnd(64, '0'), Name: 'vllm_node', Image: 'vllm-node', Cmd: ['sleep', 'infinity'], Env: [], Args: ['--gpus', 'all', '-d', '--rm', '--network', 'host', '--name', 'vllm_node', '--privileged', '--ipc=host'],
      Created: at, RestartPolicy: 'no', ImageKnown: true,
      State: { Status: 'running', Running: true, Restarting: false, ExitCode: 0, StartedAt: at, FinishedAt: '0001-01-01T00:00:00Z' },
      Exec: { cmd: ['bash', '-c', `${serve.join(' ')} >> /proc/1/fd/1 2>&1`], at, dead: false },
    }, null, 2));
    writeFileSync(join(containers, 'vllm_node.log'), `${at} container started from vllm-node\n`);
  }
  if (hostId === 'spark-2' && !existsSync(join(root, 'matrix-bot'))) {
    mkdirSync(join(root, 'matrix-bot'), { recursive: true });
    writeFileSync(join(root, 'matrix-bot/Dockerfile'), 'FROM node:20-slim\nCOPY . /app\nCMD ["node", "/app/bot.js"]\n');
    writeFileSync(join(root, 'matrix-bot/.simgit.json'), JSON.stringify({ head: '1111111aaaa', subject: 'initial', remote: { main: { sha: '2222222bbbb', subject: 'Answer in threads' } } }, null, 2));
    // The bot container is already running, as on the owner's Spark 2.
    const containers = join(root, 'state/containers');
    mkdirSync(containers, { recursive: true });
    const started = new Date().toISOString();
    writeFileSync(join(containers, 'matrix-bot.json'), JSON.stringify({
      Id: 'b0b'.padEnd(64, '0'), Name: 'matrix-bot', Image: 'matrix-bot:latest', Cmd: ['node', '/app/bot.js'], Env: [], Args: ['--restart', 'unless-stopped'],
      Created: started, RestartPolicy: 'unless-stopped', State: { Status: 'running', Running: true, Restarting: false, ExitCode: 0, StartedAt: started, FinishedAt: '0001-01-01T00:00:00Z' },
    }, null, 2));
    writeFileSync(join(containers, 'matrix-bot.log'), `${started} bot: logged in as @sparkbot:matrix.example\n${started} bot: synced 3 rooms\n`);
  }
}

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
    seed(root, id, !!o.preload);
    const srv = new SimSshServer({ hostId: id, root, binDir: join(repoRoot, 'sim/fakeroot/bin'), repoRoot, authorizedKeys: o.authorizedKeys, password: o.password ?? SIM_DEMO_PASSWORD, linkAddress: linkAddress(i), peers });
    const port = await srv.start();
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

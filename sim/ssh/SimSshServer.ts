import { spawn, type ChildProcess } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { generateUsableKeyPair } from '../../core/src/services/ssh/keyPair.js';

const { Server, utils } = ssh2;

export interface SimSshServerOptions {
  hostId: string;
  /** Per-host fake root: bash runs there; it is also $HOME. */
  root: string;
  /** Directory with the fake tools (docker, nvidia-smi, ip…), first on PATH. */
  binDir: string;
  repoRoot: string;
  authorizedKeys: string[];
  /** Accept this password too (key-install tests). */
  password?: string;
  user?: string;
  port?: number;
  /** Listen address (default 127.0.0.1; a network-namespace test binds the namespace's own address). */
  bind?: string;
  /** This Spark's address on the simulated link between the Sparks, and every Spark's (link address → id and root):
   *  the fake `ssh` and `rsync` on the Sparks reach each other through it, as the real ones do over the QSFP cable. */
  linkAddress?: string;
  peers?: Record<string, { id: string; root: string }>;
  /** In a simulator process of its own: whether the control plane that runs it is still there. A channel that closes
   *  because the control plane died leaves its command running, as on a Spark (and as when the simulator ran inside the
   *  control plane and died with it); any other close kills the command's process group. */
  controllerAlive?: () => boolean;
}

interface ProcEntry { pid: number; command: string; startedAt: string; child: ChildProcess }

/** One simulated Spark: an ssh2 server whose exec requests run with real bash in a fake root. */
export class SimSshServer {
  private server?: InstanceType<typeof Server>;
  private gate?: NetServer;
  private readonly clients = new Set<Socket>();
  private readonly procs = new Map<number, ProcEntry>();
  private servicePorts: Record<string, number> = {};
  private down = false;
  port = 0;
  readonly hostPublicKey: string;
  private readonly hostPrivateKey: string;
  private readonly allowed: ssh2.ParsedKey[];

  constructor(private readonly o: SimSshServerOptions) {
    mkdirSync(join(o.root, 'state'), { recursive: true });
    // The host key is kept in the fake root so a restart presents the same key (host-key pinning sees no change).
    const keyFile = join(o.root, '.sim_host_key');
    if (!existsSync(keyFile)) writeFileSync(keyFile, JSON.stringify(generateUsableKeyPair()), { mode: 0o600 });
    const kp = JSON.parse(readFileSync(keyFile, 'utf8')) as { private: string; public: string };
    this.hostPrivateKey = kp.private;
    this.hostPublicKey = kp.public;
    this.allowed = o.authorizedKeys.map((k) => utils.parseKey(k)).filter((k): k is ssh2.ParsedKey => !(k instanceof Error));
  }

  setServicePorts(ports: Record<string, number>): void {
    this.servicePorts = { ...this.servicePorts, ...ports };
  }

  processes(): Array<{ pid: number; command: string; startedAt: string }> {
    return [...this.procs.values()].map(({ pid, command, startedAt }) => ({ pid, command, startedAt }));
  }

  isDown(): boolean {
    return this.down;
  }

  private env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      // The shared fake tools, then what plugins' simulators installed as the user's own CLIs (`installTool`).
      PATH: `${this.o.binDir}:${join(this.o.root, '.local/bin')}:/usr/local/bin:/usr/bin:/bin`,
      HOME: this.o.root,
      USER: this.o.user ?? 'spark',
      LANG: 'C.UTF-8',
      SIM_HOST_ID: this.o.hostId,
      SIM_ROOT: this.o.root,
      SIM_STATE: join(this.o.root, 'state'),
      SIM_REPO: this.o.repoRoot,
      ...(this.o.linkAddress ? { SIM_LINK_IP: this.o.linkAddress } : {}),
      ...(this.o.peers ? { SIM_PEERS: JSON.stringify(this.o.peers) } : {}),
    };
    for (const [svc, port] of Object.entries(this.servicePorts)) env[`SIM_PORT_${svc.toUpperCase().replace(/-/g, '_')}`] = String(port);
    return env;
  }

  private authOk(ctx: ssh2.AuthContext): boolean {
    if (ctx.username !== (this.o.user ?? 'spark')) return false;
    if (ctx.method === 'password') return !!this.o.password && ctx.password === this.o.password;
    if (ctx.method !== 'publickey') return false;
    return this.allowed.some((k) => {
      const pub = k.getPublicSSH();
      if (ctx.key.algo !== k.type || ctx.key.data.length !== pub.length || !timingSafeEqual(ctx.key.data, pub)) return false;
      return !ctx.signature || k.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true;
    });
  }

  async start(): Promise<number> {
    this.server = new Server({ hostKeys: [this.hostPrivateKey] }, (client) => {
      client.on('authentication', (ctx) => (this.authOk(ctx) ? ctx.accept() : ctx.reject(this.o.password ? ['publickey', 'password'] : ['publickey'])));
      client.on('ready', () => {
        client.on('session', (accept) => {
          const session = accept();
          session.on('exec', (acc, _rej, info) => {
            const stream = acc();
            // Own process group so that closing the channel can kill everything the command started.
            const child = spawn('bash', ['-c', info.command], { cwd: this.o.root, env: this.env(), detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
            const entry: ProcEntry = { pid: child.pid!, command: info.command, startedAt: new Date().toISOString(), child };
            this.procs.set(child.pid!, entry);
            stream.pipe(child.stdin!).on('error', () => {});
            child.stdout!.pipe(stream, { end: false });
            child.stderr!.pipe(stream.stderr, { end: false });
            const killGroup = (sig: NodeJS.Signals) => { try { process.kill(-child.pid!, sig); } catch { /* gone */ } };
            stream.on('signal', (sig: string) => killGroup(`SIG${sig}` as NodeJS.Signals));
            const running = () => child.exitCode === null && child.signalCode === null;
            const alive = this.o.controllerAlive;
            stream.on('close', () => {
              if (!alive) { if (running()) killGroup('SIGKILL'); return; }
              // The control plane's death closes its channels and its IPC link at once, in no set order: look again later.
              setTimeout(() => { if (running() && alive()) killGroup('SIGKILL'); }, 200).unref();
            });
            child.on('close', (code, sig) => {
              this.procs.delete(child.pid!);
              try {
                if (sig) stream.exit(sig.replace(/^SIG/, ''), false, '');
                else stream.exit(code ?? 255);
                stream.end();
              } catch { /* client gone */ }
            });
          });
        });
      });
      client.on('error', () => {});
    });
    // A TCP gate in front of the ssh2 server lets `setDown` refuse and cut connections like a dead link.
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    const inner = (this.server.address() as { port: number }).port;
    this.gate = createNetServer((sock) => {
      if (this.down) { sock.destroy(); return; }
      sock.setNoDelay(true);
      const up = connect(inner, '127.0.0.1');
      up.setNoDelay(true);
      this.clients.add(sock);
      sock.pipe(up).pipe(sock);
      const done = () => { this.clients.delete(sock); sock.destroy(); up.destroy(); };
      sock.on('error', done); up.on('error', done); sock.on('close', done); up.on('close', done);
    });
    // A port of an earlier run may be taken meanwhile: that is an error for the caller (it falls back to any port).
    await new Promise<void>((r, reject) => this.gate!.once('error', reject).listen(this.o.port ?? 0, this.o.bind ?? '127.0.0.1', () => r()));
    this.port = (this.gate.address() as { port: number }).port;
    return this.port;
  }

  /** Down: every connection is cut and new ones are refused until `setDown(false)`. */
  setDown(down: boolean): void {
    this.down = down;
    if (down) for (const s of [...this.clients]) s.destroy();
  }

  async stop(): Promise<void> {
    for (const p of this.procs.values()) { try { process.kill(-p.pid, 'SIGKILL'); } catch { /* gone */ } }
    for (const s of this.clients) s.destroy();
    await new Promise<void>((r) => (this.gate ? this.gate.close(() => r()) : r()));
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import type { ClientChannel, ConnectConfig } from 'ssh2';
import { outsidePlugins } from '../../kernel/pluginContext.js';
import type { HostInfo, Logger, SshCommand, SshConnectionEvent, SshExecOptions, SshResult, SshStreamOptions } from '../../api/types.js';
import { SparkError } from '../../api/errors.js';
import { commandText, quoteArg, SAFE_USER } from '../../api/shell.js';
import { HostKeyStore } from './hostKeys.js';
import { authorizeKeyCommand } from '../../api/authorizedKeys.js';
import { codes } from '../../api/codes.js';
import { FailureLimiter } from '../rateLimit.js';

const { Client } = ssh2;

export interface SshPoolOptions {
  resolveHost(hostId: string): HostInfo | undefined;
  privateKey: string;
  publicKey: string;
  hostKeys: HostKeyStore;
  log: Logger;
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Cap on captured output per stream (bytes); the rest is dropped and flagged. */
  maxOutputBytes?: number;
}

interface Conn {
  key: string;
  hostId: string;
  user: string;
  client: InstanceType<typeof Client>;
  ready: Promise<void>;
  up: boolean;
}

const DEFAULT_EXEC_TIMEOUT = 30_000;

/** One ssh2 connection per (host, user), reused for every exec; keepalive detects a cut link; host keys pinned. */
export class SshPool {
  private readonly conns = new Map<string, Conn>();
  private readonly listeners = new Set<(e: SshConnectionEvent) => void>();
  private closed = false;

  constructor(private readonly o: SshPoolOptions) {}

  onConnectionChange(fn: (e: SshConnectionEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(e: Omit<SshConnectionEvent, 'at'>) {
    const ev = { ...e, at: new Date().toISOString() };
    for (const fn of this.listeners) {
      try { fn(ev); } catch { /* listener errors never break the transport */ }
    }
  }

  private host(hostId: string): HostInfo {
    const h = this.o.resolveHost(hostId);
    if (!h) throw new SparkError(codes.SSH_UNKNOWN_HOST, `unknown host ${hostId}`, { status: 404, details: { host: hostId } });
    return h;
  }

  /** Drop pooled connections of a host (after a config change or a host-key trust). */
  reset(hostId?: string): void {
    for (const c of [...this.conns.values()]) {
      if (!hostId || c.hostId === hostId) {
        this.conns.delete(c.key);
        c.client.end();
      }
    }
  }

  private connect(hostId: string, as?: SshExecOptions['as']): Conn {
    if (this.closed) throw new SparkError(codes.SHUTTING_DOWN, 'shutting down', { status: 503 });
    const h = this.host(hostId);
    const user = as?.user ?? h.sshUser;
    if (!SAFE_USER.test(user)) throw new SparkError(codes.SSH_BAD_USER, `invalid SSH user for ${hostId}`, { status: 400 });
    const key = `${hostId}\u0000${user}\u0000${as?.privateKeyPath ?? ''}`;
    const existing = this.conns.get(key);
    if (existing) return existing;

    const mismatch = this.o.hostKeys.mismatch(hostId);
    if (mismatch) {
      throw new SparkError(codes.SSH_HOST_KEY_CHANGED, `host key of ${hostId} changed (now ${mismatch.fingerprint}); trust the new key to continue`, {
        status: 502, details: { host: hostId, fingerprint: mismatch.fingerprint },
      });
    }

    const client = new Client();
    const conn: Conn = { key, hostId, user, client, up: false, ready: Promise.resolve() };
    let hostKeyRejected = false;
    conn.ready = new Promise<void>((resolve, reject) => {
      client.once('ready', () => {
        conn.up = true;
        this.emit({ hostId, user, state: 'up' });
        resolve();
      });
      client.once('error', (err: Error & { level?: string }) => {
        this.conns.delete(key);
        reject(this.mapConnectError(err, h, user, hostKeyRejected));
      });
      client.once('close', () => {
        this.conns.delete(key);
        if (conn.up) {
          conn.up = false;
          this.emit({ hostId, user, state: 'down', reason: 'connection closed' });
        }
        reject(new SparkError(codes.SSH_UNREACHABLE, `SSH connection to ${hostId} (${h.address}:${h.sshPort}) closed`, { status: 503, details: { host: hostId } }));
      });
    });
    conn.ready.catch(() => {});
    client.on('error', () => {}); // later errors surface through 'close'
    client.on('connect' as never, () => {
      // Without TCP_NODELAY each channel open stalls ~40 ms on delayed ACKs (testinfra.md §1).
      (client as unknown as { setNoDelay?: (b: boolean) => void }).setNoDelay?.(true);
    });

    const cfg: ConnectConfig = {
      host: h.address.replace(/^\[|\]$/g, ''),
      port: h.sshPort,
      username: user,
      privateKey: as?.privateKeyPath ? readFileSync(as.privateKeyPath, 'utf8') : this.o.privateKey,
      readyTimeout: this.o.connectTimeoutMs ?? 10_000,
      keepaliveInterval: this.o.keepaliveIntervalMs ?? 2_000,
      keepaliveCountMax: this.o.keepaliveCountMax ?? 3,
      hostVerifier: (keyData: Buffer) => {
        const ok = this.o.hostKeys.verify(hostId, h.address, h.sshPort, keyData);
        if (!ok) hostKeyRejected = true;
        return ok;
      },
    };
    this.conns.set(key, conn);
    // The pooled connection serves every plugin: its socket and timers belong to the kernel, not the first caller.
    outsidePlugins(() => client.connect(cfg));
    return conn;
  }

  private mapConnectError(err: Error & { level?: string; code?: string }, h: HostInfo, user: string, hostKeyRejected: boolean): SparkError {
    const where = `${h.id} (${h.address}:${h.sshPort})`;
    if (hostKeyRejected) {
      const m = this.o.hostKeys.mismatch(h.id);
      return new SparkError(codes.SSH_HOST_KEY_CHANGED, `host key of ${h.id} changed${m ? ` (now ${m.fingerprint})` : ''}; trust the new key to continue`, {
        status: 502, details: { host: h.id, fingerprint: m?.fingerprint },
      });
    }
    if (err.level === 'client-authentication') {
      return new SparkError(codes.SSH_AUTH, `SSH login to ${where} as ${user} was refused; install the service key on that host`, { status: 502, details: { host: h.id, user } });
    }
    if (err.level === 'client-timeout' || /timed out/i.test(err.message)) {
      return new SparkError(codes.SSH_TIMEOUT, `SSH connection to ${where} timed out`, { status: 504, details: { host: h.id } });
    }
    return new SparkError(codes.SSH_UNREACHABLE, `SSH connection to ${where} failed: ${err.code ?? err.message}`, { status: 503, details: { host: h.id } });
  }

  exec(hostId: string, cmd: SshCommand, opts: SshExecOptions = {}): Promise<SshResult> {
    return this.run(hostId, cmd, opts);
  }

  stream(hostId: string, cmd: SshCommand, opts: SshStreamOptions = {}): Promise<SshResult> {
    return this.run(hostId, cmd, opts);
  }

  private async run(hostId: string, cmd: SshCommand, opts: SshStreamOptions): Promise<SshResult> {
    // Without a pty, OpenSSH neither forwards signals nor kills a command when its channel closes, so a cancelled
    // `docker logs -f` would run forever. The watchdog keeps the channel's stdin open and kills the command's whole
    // process group when it reaches EOF (we closed the channel). Commands that take stdin run unwrapped.
    const text = opts.stdin === undefined ? withWatchdog(commandText(cmd)) : commandText(cmd);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT;
    const started = Date.now();
    if (opts.signal?.aborted) throw abortError(hostId);
    const conn = this.connect(hostId, opts.as);
    const timer = new AbortController();
    const t = setTimeout(() => timer.abort(), timeoutMs);
    const stopWaiting = () => clearTimeout(t);
    try {
      await raceAbort(conn.ready, timer.signal, opts.signal, hostId, timeoutMs);
      // Output handlers must be attached inside the exec callback: any await in between can lose early
      // data and the exit status.
      const collected = await raceAbort(
        new Promise<Promise<SshResult>>((resolve, reject) => {
          try {
            conn.client.exec(text, (err, ch) => (err
              ? reject(new SparkError(codes.SSH_EXEC, `could not start a command on ${hostId}: ${err.message}`, { status: 502, details: { host: hostId } }))
              : resolve(this.collect(ch, hostId, opts, timer.signal, started, timeoutMs))));
          } catch {
            // ssh2 throws "Not connected" when the connection closed after it was ready (a re-pinned host key, a drop).
            reject(new SparkError(codes.SSH_UNREACHABLE, `SSH connection to ${hostId} closed before the command could start`, { status: 503, details: { host: hostId } }));
          }
        }),
        timer.signal, opts.signal, hostId, timeoutMs,
      );
      return await collected;
    } finally {
      stopWaiting();
    }
  }

  private collect(ch: ClientChannel, hostId: string, opts: SshStreamOptions, timeout: AbortSignal, started: number, timeoutMs: number): Promise<SshResult> {
    const max = this.o.maxOutputBytes ?? 8 * 1024 * 1024;
    return new Promise<SshResult>((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outLen = 0;
      let errLen = 0;
      let code: number | null = null;
      let signal: string | undefined;
      let settled = false;
      const partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
      const lines = (which: 'stdout' | 'stderr', chunk: string) => {
        if (!opts.onLine) return;
        const text = partial[which] + chunk;
        const parts = text.split('\n');
        partial[which] = parts.pop() ?? '';
        for (const l of parts) opts.onLine(l.replace(/\r$/, ''), which);
      };
      const kill = () => {
        // Ask the server to kill the process, then close the channel (the sim and OpenSSH both end the command).
        try { ch.signal('KILL'); } catch { /* channel gone */ }
        try { ch.close(); } catch { /* channel gone */ }
      };
      const onTimeout = () => {
        if (settled) return;
        settled = true;
        kill();
        reject(new SparkError(codes.SSH_TIMEOUT, `command on ${hostId} timed out after ${Math.round(timeoutMs / 1000)} s`, { status: 504, details: { host: hostId } }));
      };
      const onAbort = () => {
        if (settled) return;
        settled = true;
        kill();
        reject(abortError(hostId));
      };
      timeout.addEventListener('abort', onTimeout, { once: true });
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      // The caller may have left (or the time run out) while the channel was opening: a listener added to an aborted
      // signal never fires, and the command (a `docker logs -f`) would run on with nobody reading it.
      if (opts.signal?.aborted) queueMicrotask(onAbort);
      else if (timeout.aborted) queueMicrotask(onTimeout);
      ch.on('data', (d: Buffer) => {
        if (outLen < max) { out.push(d); outLen += d.length; }
        const s = d.toString('utf8');
        opts.onStdout?.(s);
        lines('stdout', s);
      });
      ch.stderr.on('data', (d: Buffer) => {
        if (errLen < max) { err.push(d); errLen += d.length; }
        const s = d.toString('utf8');
        opts.onStderr?.(s);
        lines('stderr', s);
      });
      ch.on('exit', (c: number | null, sig?: string) => {
        code = typeof c === 'number' ? c : null;
        if (sig) signal = sig;
      });
      ch.on('close', () => {
        timeout.removeEventListener('abort', onTimeout);
        opts.signal?.removeEventListener('abort', onAbort);
        for (const w of ['stdout', 'stderr'] as const) if (partial[w] && opts.onLine) opts.onLine(partial[w], w);
        if (settled) return;
        settled = true;
        resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code, ...(signal ? { signal } : {}), durationMs: Date.now() - started });
      });
      if (opts.stdin !== undefined) ch.end(opts.stdin);
      // else: stdin stays open; the watchdog treats its EOF as "kill the command".
    });
  }

  /** Appends the service key to ~/.ssh/authorized_keys with a one-time password login (password never stored). */
  /** 5 wrong passwords per Spark in 10 minutes, then 429: the dashboard must not be a password-guessing oracle. */
  private readonly passwordGuesses = new FailureLimiter('SSH passwords for this Spark', 5, 10 * 60_000);

  async installKey(hostId: string, password: string, opts: { timeoutMs?: number } = {}): Promise<{ added: boolean }> {
    const h = this.host(hostId);
    this.passwordGuesses.check(hostId);
    const timeoutMs = opts.timeoutMs ?? 20_000;
    const client = new Client();
    let hostKeyRejected = false;
    const script = authorizeKeyCommand(this.o.publicKey);
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => { client.end(); reject(new SparkError(codes.SSH_TIMEOUT, `SSH connection to ${hostId} timed out`, { status: 504, details: { host: hostId } })); }, timeoutMs);
        client.once('ready', () => { clearTimeout(t); resolve(); });
        client.once('error', (err: Error & { level?: string }) => {
          clearTimeout(t);
          if (err.level === 'client-authentication') {
            // 422, not 401: the request was authorised; the password it carries is wrong (401 means "log in again").
            this.passwordGuesses.fail(hostId);
            reject(new SparkError(codes.SSH_BAD_PASSWORD, `the password for ${h.sshUser}@${hostId} was not accepted`, { status: 422, details: { host: hostId, errors: [{ field: 'password', message: 'not accepted by the Spark' }] } }));
          } else reject(this.mapConnectError(err, h, h.sshUser, hostKeyRejected));
        });
        client.on('keyboard-interactive', (_n, _i, _l, prompts, finish) => finish(prompts.map(() => password)));
        client.connect({
          host: h.address.replace(/^\[|\]$/g, ''), port: h.sshPort, username: h.sshUser, password, tryKeyboard: true,
          readyTimeout: timeoutMs,
          hostVerifier: (k: Buffer) => {
            const ok = this.o.hostKeys.verify(hostId, h.address, h.sshPort, k);
            if (!ok) hostKeyRejected = true;
            return ok;
          },
        });
      });
      const out = await new Promise<string>((resolve, reject) => {
        client.exec(script.text, (err, ch) => {
          if (err) return reject(new SparkError(codes.SSH_EXEC, `could not run the key install on ${hostId}`, { status: 502 }));
          let s = '';
          ch.on('data', (d: Buffer) => (s += d.toString()));
          ch.stderr.on('data', () => {});
          ch.on('close', (code: number) => (code === 0 ? resolve(s) : reject(new SparkError(codes.SSH_KEY_INSTALL, `key install on ${hostId} failed (exit ${code})`, { status: 502, details: { host: hostId } }))));
        });
      });
      this.reset(hostId);
      return { added: out.trim() === 'added' };
    } finally {
      client.end();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.reset();
  }
}

/** Runs `text` in the background of a small sh that kills the session's process group when stdin closes. */
export function withWatchdog(text: string): string {
  // fd 3 = the channel's stdin: sh gives background jobs /dev/null as stdin unless it is redirected explicitly.
  const script = 'exec 3<&0; sh -c "$1" 3<&- & c=$!; (cat <&3 >/dev/null 2>&1; kill -TERM 0) >/dev/null 2>&1 & w=$!; exec 3<&-; wait $c; s=$?; kill $w 2>/dev/null; exit $s';
  return `sh -c ${quoteArg(script)} spark-watchdog ${quoteArg(text)}`;
}

function abortError(hostId: string): SparkError {
  return new SparkError(codes.ABORTED, `command on ${hostId} was cancelled`, { status: 499, details: { host: hostId } });
}

async function raceAbort<T>(p: Promise<T>, timeout: AbortSignal, user: AbortSignal | undefined, hostId: string, timeoutMs: number): Promise<T> {
  if (timeout.aborted) throw new SparkError(codes.SSH_TIMEOUT, `SSH to ${hostId} timed out after ${Math.round(timeoutMs / 1000)} s`, { status: 504, details: { host: hostId } });
  return new Promise<T>((resolve, reject) => {
    const onT = () => reject(new SparkError(codes.SSH_TIMEOUT, `SSH to ${hostId} timed out after ${Math.round(timeoutMs / 1000)} s`, { status: 504, details: { host: hostId } }));
    const onA = () => reject(abortError(hostId));
    timeout.addEventListener('abort', onT, { once: true });
    user?.addEventListener('abort', onA, { once: true });
    p.then(resolve, reject).finally(() => {
      timeout.removeEventListener('abort', onT);
      user?.removeEventListener('abort', onA);
    });
  });
}

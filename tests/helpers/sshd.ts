import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { ensureSystemPackage } from './system.js';
import { join } from 'node:path';

/** Why a real-sshd test cannot run here, or undefined when it can (installs openssh-server as root). */
export function sshdUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to start a real OpenSSH sshd with password auth (CI runs as root)';
  return ensureSystemPackage('openssh-server', '/usr/sbin/sshd');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface RealSshd {
  port: number;
  user: string;
  password: string;
  home: string;
  /** Restart sshd, optionally with a brand-new host key (host-key change tests). */
  restart(opts?: { newHostKey?: boolean }): Promise<void>;
  /** Kill the per-connection sshd processes of the test user (established sessions drop, like a crashed host). */
  dropSessions(): void;
  stop(): Promise<void>;
}

/** Starts Debian's OpenSSH sshd on 127.0.0.1:<free port> for a throwaway user with a password (testinfra.md §1). */
export async function startRealSshd(o: { user?: string; password?: string; path?: string } = {}): Promise<RealSshd> {
  const user = o.user ?? `sct${process.pid % 100000}`;
  const password = o.password ?? `pw-${Math.random().toString(36).slice(2)}-X9`;
  const dir = mkdtempSync(join(tmpdir(), 'sshd-'));
  chmodSync(dir, 0o755);
  try { execFileSync('id', [user], { stdio: 'ignore' }); } catch { execFileSync('useradd', ['-m', '-s', '/bin/bash', user]); }
  execFileSync('chpasswd', { input: `${user}:${password}\n` });
  const home = execFileSync('sh', ['-c', `getent passwd ${user} | cut -d: -f6`]).toString().trim();
  rmSync(join(home, '.ssh'), { recursive: true, force: true });
  mkdirSync('/run/sshd', { recursive: true });
  chmodSync('/run/sshd', 0o755);
  const port = await freePort();
  const hostKey = join(dir, 'host_ed25519');
  const genHostKey = () => {
    rmSync(hostKey, { force: true });
    rmSync(hostKey + '.pub', { force: true });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  };
  genHostKey();
  const cfg = join(dir, 'sshd_config');
  writeFileSync(cfg, [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${hostKey}`, `PidFile ${join(dir, 'sshd.pid')}`,
    'PasswordAuthentication yes', 'KbdInteractiveAuthentication no', 'PubkeyAuthentication yes', 'PermitRootLogin no',
    'UsePAM no', 'StrictModes no', 'MaxSessions 50', 'MaxStartups 50:30:100', `AllowUsers ${user}`,
    ...(o.path ? [`SetEnv PATH=${o.path}`] : []),
  ].join('\n') + '\n');
  let proc: ChildProcess | undefined;
  const start = async () => {
    proc = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr!.on('data', () => {});
    const end = Date.now() + 5000;
    while (Date.now() < end) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
        s.on('error', () => resolve(false));
      });
      if (ok) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('sshd did not start');
  };
  const stop = async () => {
    if (!proc || proc.exitCode !== null) return;
    const p = proc;
    await new Promise<void>((resolve) => { p.once('exit', () => resolve()); p.kill('SIGTERM'); });
  };
  const dropSessions = () => {
    try { execFileSync('pkill', ['-KILL', '-f', `^sshd: ${user}`]); } catch { /* none running */ }
  };
  await start();
  return {
    port, user, password, home,
    async restart(r = {}) {
      await stop();
      if (r.newHostKey) genHostKey();
      await start();
    },
    dropSessions,
    async stop() {
      await stop();
      dropSessions();
      try { execFileSync('userdel', ['-r', user], { stdio: 'ignore' }); } catch { /* already gone */ }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

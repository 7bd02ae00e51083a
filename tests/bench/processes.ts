/** The processes and measurements the benchmarks share: the kernel under test as `npm start` runs it, helper servers
 *  each in its own process, nginx as a reverse proxy, and RSS/CPU read from /proc. */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KERNEL_NODE_FLAGS } from '../../core/src/kernel/nodeFlags.js';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** RSS of a process from /proc (cheap enough to sample every 50 ms). */
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** User + system CPU seconds a process has used so far (/proc/<pid>/stat fields 14 and 15, in clock ticks). */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return (Number(fields[11]) + Number(fields[12])) / ticks;
}

/** The direct children of a process (nginx's workers under its master). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch { /* gone meanwhile */ }
  }
  return out;
}

/** The kernel under test, built and run as `npm start` runs it (see kernel-under-test.mjs). */
/** `BENCH_PROFILE=<dir>`: the kernel under test writes a V8 CPU profile there when it stops (open it in Chrome's
 *  DevTools), to see where a row's time goes. NODE_OPTIONS cannot carry --cpu-prof. */
const profileFlags = (): string[] => (process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []);

export async function kernelProcess(upstreamUrl: string, repoDir = join(import.meta.dirname, '../..'), env: Record<string, string> = {}): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  execFileSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: repoDir });
  const p = spawn(process.execPath, [...KERNEL_NODE_FLAGS, ...profileFlags(), join(repoDir, 'tests/bench/kernel-under-test.mjs'), upstreamUrl], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SPARK_LOG_LEVEL: 'warn', ...env } });
  const url = await new Promise<string>((resolve, reject) => {
    p.stdout!.once('data', (d) => resolve(String(d).trim()));
    p.once('exit', (code) => reject(new Error(`kernel under test exited with ${code}`)));
  });
  return { url, pid: p.pid!, stop: () => new Promise((r) => { p.once('exit', () => r()); p.kill('SIGTERM'); }) };
}

/** A built-in plugin in the kernel under test (plugin-kernel.mjs: built, run as `npm start` runs it) with `config` as
 *  its config.json, so its services can be fakes in processes of their own. */
export async function pluginKernelProcess(pluginId: string, config: unknown): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  execFileSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: join(import.meta.dirname, '../..') });
  const p = spawn(process.execPath, [...KERNEL_NODE_FLAGS, ...profileFlags(), join(import.meta.dirname, 'plugin-kernel.mjs'), pluginId, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SPARK_LOG_LEVEL: 'warn' } });
  const url = await new Promise<string>((resolve, reject) => {
    p.stdout!.once('data', (d) => resolve(String(d).trim()));
    p.once('exit', (code) => reject(new Error(`kernel under test exited with ${code}`)));
  });
  return { url, pid: p.pid!, stop: () => new Promise((r) => { p.once('exit', () => r()); p.kill('SIGTERM'); }) };
}

/** One plugin's simulated service in a process of its own (sim-service.ts), as the real services on a Spark are not
 *  in the kernel's event loop; `env` reaches the fake (e.g. its processing time). */
export function simServiceProcess(plugin: string, service: string, env: Record<string, string> = {}): Promise<{ port: number; url: string; pid: number; stop(): void }> {
  const p = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'sim-service.ts'), plugin, service], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    p.stdout!.once('data', (d) => { const port = Number(String(d).trim()); resolve({ port, url: `http://127.0.0.1:${port}`, pid: p.pid!, stop: () => p.kill('SIGTERM') }); });
    p.once('exit', (code) => reject(new Error(`${service} exited with ${code}`)));
  });
}

/** A helper server of the bench (fake upstream, bare forwarders) in its own process, so none shares an event loop with
 *  the proxy under test; each prints its port on stdout. A .ts helper runs through tsx. */
export async function helperProcess(script: string, args: string[]): Promise<{ port: number; url: string; pid: number; stop(): void }> {
  const p = spawn(process.execPath, [...(script.endsWith('.ts') ? ['--import', 'tsx'] : []), join(import.meta.dirname, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => p.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
  return { port, url: `http://127.0.0.1:${port}`, pid: p.pid!, stop: () => p.kill('SIGTERM') };
}

/** nginx (Debian's nginx-light) as a reverse proxy with buffering off, one worker, as a floor for any proxy here. */
export function startNginx(upstreamPort: number): { port: number; pid: number; stop(): void } | undefined {
  if (spawnSync('which', ['nginx']).status !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'bench-nginx-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  writeFileSync(join(dir, 'nginx.conf'), `
worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn; worker_rlimit_nofile 16384;
events { worker_connections 8192; }
http {
  access_log off; client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream up { server 127.0.0.1:${upstreamPort}; keepalive 128; }
  server { listen 127.0.0.1:${port};
    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; proxy_request_buffering off; client_max_body_size 0; proxy_read_timeout 300s; }
  }
}`);
  const p = spawn('nginx', ['-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  return { port, pid: p.pid!, stop: () => { p.kill('SIGTERM'); rmSync(dir, { recursive: true, force: true }); } };
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ssh2 from 'ssh2';
import { createTestKernel, type TestKernel } from '../core/src/testing/createTestKernel.js';
import type { SimCluster } from './cluster.js';
import { generateUsableKeyPair } from '../core/src/services/ssh/keyPair.js';

let k: TestKernel;
let cluster: SimCluster;
beforeAll(async () => {
  k = await createTestKernel({ simulate: true, ssh: { connectTimeoutMs: 2000, keepaliveIntervalMs: 500, keepaliveCountMax: 2 } });
  cluster = k.app.sim!.cluster as unknown as SimCluster;
});
afterAll(async () => { await k?.stop(); });
const ssh = () => k.app.services.ssh;

describe('simulated cluster', () => {
  it('starts two Sparks reachable over real SSH with the service key, running real bash', async () => {
    expect(k.app.services.topology.hosts().map((h) => h.id)).toEqual(['spark-1', 'spark-2']);
    const r = await ssh().exec('spark-2', ['bash', '-c', 'echo "$SIM_HOST_ID"; echo oops >&2; exit 4']);
    expect(r).toMatchObject({ stdout: 'spark-2\n', stderr: 'oops\n', code: 4 });
    const stdin = await ssh().exec('spark-1', ['wc', '-c'], { stdin: 'hello stdin' });
    expect(stdin.stdout.trim()).toBe('11');
  });

  it('answers nvidia-smi like a GB10 (memory [N/A]) and ip -j with a WireGuard interface on spark-2 only', async () => {
    const smi = await ssh().exec('spark-1', ['nvidia-smi', '--query-gpu=name,utilization.gpu,temperature.gpu,power.draw,memory.used,memory.total', '--format=csv,noheader,nounits']);
    const [name, util, temp, power, used, total] = smi.stdout.trim().split(', ');
    expect(name).toBe('NVIDIA GB10');
    expect(Number(util)).toBeGreaterThanOrEqual(0);
    expect(Number(temp)).toBeGreaterThan(20);
    expect(Number(power)).toBeGreaterThan(0);
    expect([used, total]).toEqual(['[N/A]', '[N/A]']);
    const link2 = JSON.parse((await ssh().exec('spark-2', ['ip', '-d', '-j', 'link'])).stdout);
    expect(link2.some((l: { linkinfo?: { info_kind: string } }) => l.linkinfo?.info_kind === 'wireguard')).toBe(true);
    const link1 = JSON.parse((await ssh().exec('spark-1', ['ip', '-d', '-j', 'link'])).stdout);
    expect(link1.some((l: { linkinfo?: { info_kind: string } }) => l.linkinfo?.info_kind === 'wireguard')).toBe(false);
  });

  it('keeps docker state in files: run, ps, inspect, logs, rm, and the real error for a missing container', async () => {
    const run = await ssh().exec('spark-1', ['docker', 'run', '-d', '--name', 'probe', 'alpine:3', 'sleep', '1000']);
    expect(run.code).toBe(0);
    const ps = (await ssh().exec('spark-1', ['docker', 'ps', '--format', '{{json .}}'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(ps.find((c) => c.Names === 'probe')).toMatchObject({ State: 'running', Image: 'alpine:3' });
    const missing = await ssh().exec('spark-1', ['docker', 'inspect', '--format', '{{json .State}}', 'ghost']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No such object: ghost');
    expect((await ssh().exec('spark-1', ['docker', 'rm', '-f', 'probe'])).code).toBe(0);
  });

  it('kills the remote process group when a following command is cancelled', async () => {
    await ssh().exec('spark-2', ['docker', 'run', '-d', '--name', 'chatty', 'bot:1']);
    const ac = new AbortController();
    const lines: string[] = [];
    const p = ssh().stream('spark-2', ['docker', 'logs', '-f', 'chatty'], { signal: ac.signal, onLine: (l) => lines.push(l), timeoutMs: 20_000 });
    const end = Date.now() + 5000;
    while (!lines.length && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
    expect(cluster.server('spark-2').processes().some((x) => x.command.includes('logs'))).toBe(true);
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'SPK_ABORTED' });
    const end2 = Date.now() + 3000;
    while (cluster.server('spark-2').processes().some((x) => x.command.includes('logs')) && Date.now() < end2) await new Promise((r) => setTimeout(r, 25));
    expect(cluster.server('spark-2').processes().filter((x) => x.command.includes('logs'))).toEqual([]);
  });

  it('refuses a key it does not know', async () => {
    const host = k.app.services.topology.host('spark-1')!;
    const other = generateUsableKeyPair();
    const err = await new Promise<Error>((resolve) => {
      const c = new ssh2.Client();
      c.on('error', resolve).on('ready', () => { c.end(); resolve(new Error('accepted')); });
      c.connect({ host: '127.0.0.1', port: host.sshPort, username: 'spark', privateKey: other.private, readyTimeout: 15000 });
    });
    expect(err.message).toMatch(/authentication methods failed/);
  });

  it('goes down (connections cut, new ones refused) and comes back, seen by the transport', async () => {
    const events: string[] = [];
    const off = ssh().onConnectionChange((e) => events.push(`${e.hostId}:${e.state}`));
    expect((await ssh().exec('spark-2', ['true'])).code).toBe(0);
    cluster.setHostDown('spark-2', true);
    const end = Date.now() + 3000;
    while (!events.includes('spark-2:down') && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
    expect(events).toContain('spark-2:down');
    await expect(ssh().exec('spark-2', ['true'], { timeoutMs: 1500 })).rejects.toMatchObject({ details: { host: 'spark-2' } });
    cluster.setHostDown('spark-2', false);
    expect((await ssh().exec('spark-2', ['echo', 'back'])).stdout).toBe('back\n');
    off();
  });
});

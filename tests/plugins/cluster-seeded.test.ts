import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSparkPlugin } from '../../core/src/api/index.js';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { seedMatrixBotHost } from '../../plugins/matrix-bridge/sim/seedHost.js';
import { seedVllmHost } from '../../plugins/vllm/sim/seedHost.js';

/** What vLLM's and the bot's simulators plant (the HF cache disk.cacheKiB counts, the bot's container), without
 *  running those plugins: only the cluster plugin polls here, as on a Spark where they run under someone else. */
const neighbours = defineSparkPlugin({
  manifest: { id: 'neighbours', name: 'Seeds only', version: '0.0.1', apiVersion: '^2.0.0' },
  configSchema: z.object({}),
  register() {},
  simulators: [{ service: 'neighbours', hostId: 'spark-1', seedHost: (h) => { seedVllmHost(h); seedMatrixBotHost(h); } }],
});

let k: TestKernel;
const POLL = 1000;
beforeAll(async () => {
  k = await createTestKernel({ plugins: ['cluster', neighbours], config: { plugins: { cluster: { pollIntervalMs: POLL, pollTimeoutMs: 1500 } } }, ssh: { connectTimeoutMs: 1500, keepaliveIntervalMs: 500, keepaliveCountMax: 2 } });
});
afterAll(async () => { await k?.stop(); });

const hosts = async () => (await (await k.fetch('/api/plugins/cluster/hosts')).json()).hosts as any[];
async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  let v = await fn();
  while (!ok(v) && Date.now() < end) { await new Promise((r) => setTimeout(r, 100)); v = await fn(); }
  return v;
}

describe('cluster plugin on the simulated Sparks', () => {
  it('polls both Sparks: GB10 GPU, memory from meminfo when NVML says N/A, containers, VPN on spark-2 only', async () => {
    const hs = await until(hosts, (h) => h.every((x) => x.reachable && x.gpu));
    expect(hs.map((h) => h.hostId)).toEqual(['spark-1', 'spark-2']);
    const [h1, h2] = hs;
    expect(h1.gpu[0].name).toBe('NVIDIA GB10');
    expect(h1.memory.source).toBe('meminfo');
    expect(h1.memory.totalMiB).toBeGreaterThan(0);
    expect(h1.cpu.load1).toBeGreaterThanOrEqual(0);
    expect(h1.disk.sizeKiB).toBeGreaterThan(0);
    expect(h1.disk.cacheKiB).toBeGreaterThan(7 * 1024);
    expect(h1.vpn).toEqual([]);
    expect(h2.vpn).toEqual([{ ifname: 'wg0', address: '10.8.0.2' }]);
    expect(h2.containers.map((c: { name: string }) => c.name)).toContain('matrix-bot');
  });

  it('marks a Spark unreachable within one poll interval plus the timeout, logs both transitions, and no request hangs', async () => {
    await until(hosts, (h) => h.every((x) => x.reachable));
    const t0 = Date.now();
    const cut = await k.fetch('/api/plugins/cluster/sim/hosts/spark-2/down', { method: 'POST' });
    expect(cut.status).toBe(200);
    const down = await until(hosts, (h) => h[1].reachable === false, POLL + 1500 + 2000);
    expect(down[1].reachable).toBe(false);
    expect(Date.now() - t0).toBeLessThan(POLL + 1500 + 2000);
    // The other Spark is unaffected and API calls still answer promptly.
    const t1 = Date.now();
    expect((await hosts())[0].reachable).toBe(true);
    expect(Date.now() - t1).toBeLessThan(1000);
    await k.fetch('/api/plugins/cluster/sim/hosts/spark-2/up', { method: 'POST' });
    await until(hosts, (h) => h[1].reachable === true);
    const log = (await (await k.fetch('/api/plugins/cluster/connectivity?hostId=spark-2')).json()).transitions;
    const seq = log.map((t: { from: string; to: string }) => `${t.from}>${t.to}`);
    expect(seq).toContain('up>down');
    expect(seq.at(-1)).toBe('down>up');
    expect(log.at(-1).durationMs).toBeGreaterThan(0);
  });

  it('records a transport drop shorter than the poll interval', async () => {
    await until(hosts, (h) => h.every((x) => x.reachable));
    const before = (await (await k.fetch('/api/connectivity?hostId=spark-1')).json()).transitions.length;
    // Cut and restore within 150 ms: a 1 s poll alone would probably miss it; the SSH transport does not.
    await k.sim!.setHostDown('spark-1', true);
    await new Promise((r) => setTimeout(r, 150));
    await k.sim!.setHostDown('spark-1', false);
    const after = await until<Array<{ to: string }>>(async () => (await (await k.fetch('/api/connectivity?hostId=spark-1')).json()).transitions, (t) => t.length >= before + 2);
    expect(after.slice(before).map((t: { to: string }) => t.to)).toEqual(['down', 'up']);
  });

  it('shows the public key and the manual command; refuses a bad install-key body', async () => {
    const key = await (await k.fetch('/api/plugins/cluster/ssh-key')).json();
    expect(key.publicKey).toMatch(/^ssh-ed25519 /);
    expect(key.manualCommand).toContain('authorized_keys');
    const bad = await k.fetch('/api/plugins/cluster/hosts/spark-1/install-key', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"password":""}' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].field).toBe('password');
    const unknown = await k.fetch('/api/plugins/cluster/hosts/spark-9/install-key', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"password":"x"}' });
    expect(unknown.status).toBe(404);
  });

  it('validates Configure Sparks input (address, port 0/70000, user with ;) and persists nothing invalid', async () => {
    const put = (hosts: unknown) => k.fetch('/api/config/cluster', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hosts }) });
    for (const [host, field] of [
      [{ id: 'spark-1', name: 'a', address: 'bad host!', sshPort: 22 }, 'hosts.0.address'],
      [{ id: 'spark-1', name: 'a', address: '<spark-1-ip>', sshPort: 22 }, 'hosts.0.address'],
      [{ id: 'spark-1', name: 'a', address: '192.0.2.1', sshPort: 0 }, 'hosts.0.sshPort'],
      [{ id: 'spark-1', name: 'a', address: '192.0.2.1', sshPort: 70000 }, 'hosts.0.sshPort'],
      [{ id: 'spark-1', name: 'a', address: '192.0.2.1', sshUser: 'me;reboot' }, 'hosts.0.sshUser'],
    ] as const) {
      const r = await put([host]);
      expect(r.status).toBe(400);
      expect((await r.json()).errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect((await (await k.fetch('/api/config')).json()).hosts).toEqual([]);
  });
});

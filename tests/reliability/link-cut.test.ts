import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureKeyPair } from '../../core/src/services/ssh/keyPair.js';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

/** A Spark's cable cut mid-poll: the simulated Spark runs in its own network namespace (10.203.77.2) and the test
 *  blackholes the replies inside the namespace (testinfra.md §3: the only clean "cut"). Needs root. */
const root = fileURLToPath(new URL('../..', import.meta.url));
const isRoot = process.getuid?.() === 0;
const NS = `sparkcut${process.pid % 1000}`;
const HOST_IP = '10.203.77.1', NS_IP = '10.203.77.2';
if (!isRoot) console.warn('\n!!! SKIPPING link-cut test: network namespaces need root (CI runs as root)\n');

const sh = (...a: string[]) => execFileSync(a[0], a.slice(1), { stdio: 'pipe' }).toString();
const tryRun = (...a: string[]) => { try { sh(...a); return true; } catch { return false; } };

describe.skipIf(!isRoot)('link cut in a network namespace', () => {
  let k: TestKernel;
  let child: ChildProcess;
  let addedGuard = false;
  const POLL = 1000, TIMEOUT = 1500;

  beforeAll(async () => {
    // Guard route first, so nothing for 10.203/16 can ever leave this machine.
    if (!sh('ip', 'route', 'show', '10.203.0.0/16').includes('unreachable')) { sh('ip', 'route', 'add', 'unreachable', '10.203.0.0/16', 'metric', '4000'); addedGuard = true; }
    sh('ip', 'netns', 'add', NS);
    sh('ip', 'link', 'add', `h-${NS}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', NS);
    sh('ip', 'addr', 'add', `${HOST_IP}/24`, 'dev', `h-${NS}`);
    sh('ip', 'link', 'set', `h-${NS}`, 'up');
    sh('ip', '-n', NS, 'addr', 'add', `${NS_IP}/24`, 'dev', 'eth0');
    sh('ip', '-n', NS, 'link', 'set', 'eth0', 'up');
    sh('ip', '-n', NS, 'link', 'set', 'lo', 'up');
    const data = mkdtempSync(join(tmpdir(), 'linkcut-'));
    const kp = ensureKeyPair(data);
    const simRoot = mkdtempSync(join(tmpdir(), 'linkcut-root-'));
    child = spawn('ip', ['netns', 'exec', NS, process.execPath, '--import', 'tsx', 'sim/ssh/standalone.ts', 'spark-9', simRoot, NS_IP, '22', kp.publicKeyPath], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => { child.stdout!.once('data', () => resolve()); child.once('exit', (c) => reject(new Error(`sim exited ${c}`))); });
    k = await createTestKernel({
      dataDir: data, simulate: false, plugins: ['cluster'],
      config: { hosts: [{ id: 'spark-9', name: 'Spark behind a cable', address: NS_IP, sshUser: 'spark', sshPort: 22 }], plugins: { cluster: { pollIntervalMs: POLL, pollTimeoutMs: TIMEOUT } } },
      ssh: { connectTimeoutMs: TIMEOUT, keepaliveIntervalMs: 500, keepaliveCountMax: 2 },
    });
  }, 60_000);

  afterAll(async () => {
    await k?.stop();
    if (child && child.exitCode === null) child.kill('SIGTERM');
    tryRun('ip', 'netns', 'del', NS);
    if (addedGuard) tryRun('ip', 'route', 'del', 'unreachable', '10.203.0.0/16', 'metric', '4000');
  });

  const host = async () => (await (await k.fetch('/api/plugins/cluster/hosts')).json()).hosts[0];
  async function until(ok: (h: { reachable: boolean }) => boolean, ms: number) {
    const end = Date.now() + ms;
    let h = await host();
    while (!ok(h) && Date.now() < end) { await new Promise((r) => setTimeout(r, 100)); h = await host(); }
    return h;
  }

  it('flips to unreachable within one poll interval plus the timeout, never hangs a request, and logs both transitions', async () => {
    expect((await until((h) => h.reachable, 10_000)).reachable).toBe(true);
    const t0 = Date.now();
    sh('ip', 'netns', 'exec', NS, 'ip', 'route', 'add', 'blackhole', `${HOST_IP}/32`);
    // A request while the link is dead answers within the SSH timeout (no hang).
    const p0 = Date.now();
    const poll = await k.fetch('/api/plugins/cluster/hosts/spark-9/poll', { method: 'POST' });
    expect(Date.now() - p0).toBeLessThan(TIMEOUT + 2500);
    expect(poll.status).toBe(200);
    const down = await until((h) => !h.reachable, POLL + TIMEOUT + 3000);
    expect(down.reachable).toBe(false);
    expect(Date.now() - t0).toBeLessThan(POLL + TIMEOUT + 3000);
    sh('ip', 'netns', 'exec', NS, 'ip', 'route', 'del', 'blackhole', `${HOST_IP}/32`);
    expect((await until((h) => h.reachable, 15_000)).reachable).toBe(true);
    const log = (await (await k.fetch('/api/plugins/cluster/connectivity?hostId=spark-9')).json()).transitions.map((t: { to: string }) => t.to);
    expect(log).toContain('down');
    expect(log.at(-1)).toBe('up');
  }, 60_000);
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSparkPlugin } from '../../core/src/api/index.js';
import type { SparkEvent } from '../../core/src/api/types.js';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import type { SimulatorStatus } from '../../core/src/kernel/simulation.js';

/** The simulated cluster in its own process, as `npm start` runs it: a fake that crashes, or a simulator killed in the
 *  middle of a swap, takes down only that process; the control plane keeps answering, says so, and brings it back. */

const kernels: TestKernel[] = [];
const dirs: string[] = [];
afterEach(async () => { for (const k of kernels.splice(0)) await k.stop(); });
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const status = (k: TestKernel) => k.app.sim!.status!();
function watchSim(k: TestKernel): SimulatorStatus['state'][] {
  const seen: SimulatorStatus['state'][] = [];
  k.app.services.events.on('sim.state', (e: SparkEvent) => seen.push((e.data as SimulatorStatus).state));
  return seen;
}
async function until<T>(what: string, fn: () => Promise<T> | T, ok: (v: T) => boolean, ms: number): Promise<T> {
  const end = Date.now() + ms;
  let v = await fn();
  while (!ok(v)) {
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(v)} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
    v = await fn();
  }
  return v;
}
const pidAlive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

/** A third-party plugin as shipped (plain ESM on disk, so the simulator process can import it) whose fake throws
 *  out of a timer on `GET /boom`: an uncaught exception, which ends whatever process runs the fake. */
function crashyPluginDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spark-crashy-'));
  dirs.push(dir);
  const pkg = join(dir, 'crashy');
  mkdirSync(join(pkg, 'dist'), { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'spark-control-plugin-crashy', version: '0.0.1', type: 'module', sparkControl: { apiVersion: '^2.0.0', main: 'dist/index.js' } }));
  writeFileSync(join(pkg, 'dist/index.js'), `import { createServer } from 'node:http';
const configSchema = { safeParse: () => ({ success: true, data: {} }), parse: () => ({}) };
export default Object.freeze({
  $$type: 'spark-control/plugin@1',
  manifest: { id: 'crashy', name: 'Crashy', version: '0.0.1', apiVersion: '^2.0.0' },
  configSchema,
  register(ctx) {
    const up = () => { const s = ctx.cluster.service('crashy', { hostId: 'spark-1', port: 1 }); return { service: 'crashy', hostId: s.hostId, baseUrl: s.baseUrl }; };
    for (const path of ['/ping', '/boom']) {
      ctx.routes.add({ method: 'GET', path }, async () => {
        const r = await ctx.http.request(up(), path, { timeoutMs: 2000 });
        return { status: r.status, body: await r.body.text() };
      });
    }
  },
  simulators: [{
    service: 'crashy', hostId: 'spark-1',
    start: () => new Promise((resolve) => {
      const srv = createServer((req, res) => {
        if (req.url === '/boom') { setTimeout(() => { throw new TypeError('the fake fell over'); }, 0); return; }
        res.end('pong ' + process.pid);
      });
      srv.listen(0, '127.0.0.1', () => resolve({ port: srv.address().port, close: () => new Promise((r) => srv.close(() => r())) }));
    }),
  }],
});
`);
  return dir;
}

describe('the simulated cluster in its own process', () => {
  it('a crash in a fake ends only the simulator: /health answers throughout, says so, and the simulator comes back on the same SSH ports and host keys', async () => {
    const k = await createTestKernel({ plugins: ['cluster'], pluginsDir: crashyPluginDir(), simProcess: true, ssh: { connectTimeoutMs: 1500, keepaliveIntervalMs: 500, keepaliveCountMax: 2 } });
    kernels.push(k);
    const seen = watchSim(k);
    const first = status(k);
    expect(first).toMatchObject({ state: 'running', restarts: 0 });
    expect(first.pid).not.toBe(process.pid);
    expect((await (await k.fetch('/api/plugins/crashy/ping')).json()).body).toBe(`pong ${first.pid}`);
    const portsBefore = k.app.services.topology.hosts().map((h) => h.sshPort);
    const fakePortBefore = k.app.sim!.servicePorts.crashy.port;
    expect((await k.app.services.ssh.exec('spark-1', ['echo', 'before'])).stdout).toBe('before\n');

    const boom = await k.fetch('/api/plugins/crashy/boom');
    expect(boom.status).toBeGreaterThanOrEqual(500); // the upstream died under the request: a 5xx, not a dead kernel
    const down = await until('simulator down', () => status(k), (s) => s.state !== 'running', 5000);
    expect(pidAlive(first.pid!) ? 'alive' : 'gone').toBe('gone');
    expect(down.lastExit).toBe('exit code 1');
    const health = await (await k.fetch('/health')).json();
    expect(health.simulator.state).toMatch(/down|starting/);
    expect((await (await k.fetch('/api/info')).json()).simulator.state).toMatch(/down|starting/);

    const back = await until('simulator back', () => status(k), (s) => s.state === 'running', 30_000);
    const outageMs = Date.parse(back.since) - Date.parse(down.since);
    expect(back).toMatchObject({ restarts: 1, lastExit: 'exit code 1' });
    expect(back.pid).not.toBe(first.pid);
    expect(seen).toEqual(['down', 'starting', 'running']);
    expect(k.app.services.topology.hosts().map((h) => h.sshPort)).toEqual(portsBefore);
    expect(k.app.sim!.servicePorts.crashy.port).toBe(fakePortBefore);
    // The same host key on the same port: the pin matches, so the kernel's SSH just works again.
    expect((await until('ssh again', () => k.app.services.ssh.exec('spark-1', ['echo', 'after']).catch((e: Error) => ({ stdout: e.message })), (r) => r.stdout === 'after\n', 10_000)).stdout).toBe('after\n');
    expect((await (await k.fetch('/api/plugins/crashy/ping')).json()).body).toBe(`pong ${back.pid}`);
    expect(k.kernel.get('crashy')?.state).toBe('running');
    console.log(`[sim-process] a fake's uncaught TypeError ended the simulator process only; back in ${(outageMs / 1000).toFixed(1)} s on the same SSH and fake ports`);
  }, 90_000);

  it('killed in the middle of a swap: the swap ends as over a cut link (never hangs), both transitions are seen, and the next swap works', async () => {
    const k = await createTestKernel({ plugins: ['vllm'], simProcess: true, config: { plugins: { vllm: { readinessPollMs: 200, memoryFloorPct: 1, stopTimeoutSec: 10 } } }, ssh: { connectTimeoutMs: 1500, keepaliveIntervalMs: 500, keepaliveCountMax: 2 } });
    kernels.push(k);
    const seen = watchSim(k);
    const state = join(k.sim!.hostRoot('spark-1'), 'state');
    writeFileSync(join(state, 'vllm-sim.json'), JSON.stringify({ loadMs: 3000 }));
    const swap = async (model: string) => {
      const r = await k.fetch('/api/swap', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model }) });
      expect(r.status).toBe(202);
      return (await r.json()).id as string;
    };
    const job = await swap('qwen3-4b-instruct');
    type Swap = { running: boolean; active: { modelId: string } | null; job: { id: string; state: string; phase?: string; error?: { code: string } } | null };
    const swapState = async () => (await (await k.fetch('/api/swap')).json()) as Swap;
    await until('loading', swapState, (s) => ['process', 'health', 'models'].includes(s.job?.phase ?? ''), 20_000);
    const pid = status(k).pid!;
    process.kill(pid, 'SIGKILL');
    await until('simulator down', () => status(k), (s) => s.state !== 'running', 5000);
    expect((await k.fetch('/health')).status).toBeLessThan(600); // answers while the simulator is down
    const ended = await until('swap ended', swapState, (s) => s.job?.id === job && s.job.state !== 'running', 60_000);
    // Either it rode out the outage (the container kept loading on the Spark) or it failed with a code, as for a cut link.
    if (ended.job!.state === 'succeeded') expect(ended.active?.modelId).toBe('qwen3-4b-instruct');
    else expect(ended.job).toMatchObject({ state: 'failed', error: { code: expect.stringMatching(/^[A-Z_]+$/) } });
    await until('simulator back', () => status(k), (s) => s.state === 'running', 30_000);
    expect(seen.slice(0, 3)).toEqual(['down', 'starting', 'running']);
    expect(status(k).restarts).toBe(1);

    writeFileSync(join(state, 'vllm-sim.json'), JSON.stringify({ loadMs: 300 }));
    const next = await swap('gpt-oss-20b');
    const done = await until('next swap', swapState, (s) => s.job?.id === next && s.job.state !== 'running', 60_000);
    expect(done.job?.state, JSON.stringify(done.job)).toBe('succeeded');
    expect(done.active?.modelId).toBe('gpt-oss-20b');
    console.log(`[sim-process] simulator SIGKILLed while loading: swap ${ended.job!.state}${ended.job!.error ? ` (${ended.job!.error.code})` : ''}; back after 1 restart; next swap succeeded`);
  }, 150_000);

  it('takes a Spark down over IPC, keeps it down across a restart, and stops with the kernel (no process left behind)', async () => {
    const k = await createTestKernel({ plugins: ['cluster'], simProcess: true, ssh: { connectTimeoutMs: 1000, keepaliveIntervalMs: 500, keepaliveCountMax: 2 } });
    kernels.push(k);
    await k.sim!.setHostDown('spark-2', true);
    expect(k.sim!.isHostDown('spark-2')).toBe(true);
    await expect(k.app.services.ssh.exec('spark-2', ['true'], { timeoutMs: 1500 })).rejects.toMatchObject({ details: { host: 'spark-2' } });
    const pid = status(k).pid!;
    process.kill(pid, 'SIGKILL');
    await until('simulator back', () => status(k), (s) => s.state === 'running' && s.pid !== pid, 30_000);
    await expect(k.app.services.ssh.exec('spark-2', ['true'], { timeoutMs: 1500 })).rejects.toMatchObject({ details: { host: 'spark-2' } });
    expect((await k.app.services.ssh.exec('spark-1', ['echo', 'up'])).stdout).toBe('up\n');
    await k.sim!.setHostDown('spark-2', false);
    expect((await until('spark-2 back', () => k.app.services.ssh.exec('spark-2', ['echo', 'up']).catch((e: Error) => ({ stdout: e.message })), (r) => r.stdout === 'up\n', 10_000)).stdout).toBe('up\n');
    const last = status(k).pid!;
    await kernels.pop()!.stop();
    expect(pidAlive(last)).toBe(false);
  }, 90_000);

  it('runs in-process instead when a plugin passed as an object brings a simulator (it cannot cross a process boundary), and says why', async () => {
    const lines: string[] = [];
    const inline = defineSparkPlugin({
      manifest: { id: 'inline-fake', name: 'Inline fake', version: '0.0.1', apiVersion: '^2.0.0' },
      configSchema: z.object({}),
      register() {},
      simulators: [{ service: 'inline-fake', hostId: 'spark-1', seedHost: (h) => h.addContainer({ name: 'inline-box', image: 'x:1', cmd: ['true'] }) }],
    });
    const k = await createTestKernel({ plugins: [inline], simProcess: true, logLevel: 'warn', logSink: (l) => lines.push(l) });
    kernels.push(k);
    expect(k.app.sim!.status).toBeUndefined(); // no process to report on
    expect(k.app.sim!.cluster).toBeDefined();
    expect(lines.map((l) => JSON.parse(l)).find((l) => /runs in this process/.test(l.msg))).toMatchObject({ level: 'warn', plugins: ['inline-fake'] });
    expect((await k.app.services.ssh.exec('spark-1', ['docker', 'inspect', '--format', '{{.State.Status}}', 'inline-box'])).stdout.trim()).toBe('running');
  });
});

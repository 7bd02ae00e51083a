import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/** Spark Control SIGKILLed during a model swap. The real entry point (core/src/main.ts) runs as its own node process
 *  (node itself, not the tsx wrapper, so the signal hits the server) on a data dir with the embedded simulated
 *  cluster. The simulator's fake Spark state (containers, their logs, the load clock of the fake vLLM) lives in files
 *  under <data>/sim, so it outlives the process like a real Spark outlives its controller; the next start brings up
 *  new SSH/HTTP ports on the same state. Pass: the swap is re-attached and reaches `active`, or is reported as
 *  interrupted naming the phase — never forgotten, never a stale "active" model, and every JSON file parses. */
const root = fileURLToPath(new URL('../..', import.meta.url));
const children = new Set<ChildProcess>();
afterAll(() => { for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL'); });

interface Running { child: ChildProcess; url: string; out: string[] }

async function startSparkControl(dataDir: string): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'core/src/main.ts'], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SPARK_DATA_DIR: dataDir, SPARK_PORT: '0', SPARK_BIND: '127.0.0.1', SPARK_LOG_LEVEL: 'info', VITEST: '' },
  });
  children.add(child);
  const out: string[] = [];
  child.stderr!.on('data', (d) => out.push(String(d)));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`Spark Control did not start in 40 s:\n${out.join('').slice(-2000)}`)), 40_000);
    child.stdout!.on('data', (d) => {
      out.push(String(d));
      const m = /dashboard at http:\/\/localhost:(\d+)/.exec(out.join(''));
      if (m) { clearTimeout(t); resolve(`http://127.0.0.1:${m[1]}`); }
    });
    child.once('exit', (c, s) => { clearTimeout(t); reject(new Error(`Spark Control exited (${c ?? s}) before listening:\n${out.join('').slice(-2000)}`)); });
  });
  return { child, url, out };
}

async function sigkill(r: Running): Promise<void> {
  const gone = new Promise((res) => r.child.once('exit', res));
  r.child.kill('SIGKILL');
  await gone;
  children.delete(r.child);
}

async function stopGracefully(r: Running): Promise<void> {
  const gone = new Promise((res) => r.child.once('exit', res));
  r.child.kill('SIGTERM');
  await Promise.race([gone, new Promise((res) => setTimeout(res, 20_000))]);
  if (r.child.exitCode === null && r.child.signalCode === null) await sigkill(r);
  children.delete(r.child);
}

type SwapState = { running: boolean; active: { modelId: string } | null; job: { id: string; state: string; phase?: string; error?: { code: string; message: string }; logTail: string[] } | null };
const swapState = async (url: string): Promise<SwapState> => (await fetch(`${url}/api/swap`, { signal: AbortSignal.timeout(5000) })).json();
const startSwap = async (url: string, model: string) => {
  const r = await fetch(`${url}/api/swap`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model }), signal: AbortSignal.timeout(5000) });
  expect(r.status).toBe(202);
  return (await r.json()) as { id: string };
};
async function until(url: string, ok: (s: SwapState) => boolean, ms: number): Promise<SwapState> {
  const end = Date.now() + ms;
  let s = await swapState(url);
  while (!ok(s) && Date.now() < end) { await new Promise((r) => setTimeout(r, 50)); s = await swapState(url); }
  return s;
}

/** Every JSON file in the data dir (Spark Control's and the simulator's) must parse. */
function corruptJsonFiles(dir: string): string[] {
  const bad: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) { if (e !== '.cache') walk(p); continue; }
      if (!e.endsWith('.json')) continue;
      try { JSON.parse(readFileSync(p, 'utf8')); } catch { bad.push(p); }
    }
  };
  walk(dir);
  return bad;
}

describe('SIGKILL of Spark Control during a swap', () => {
  it('a swap killed while the model loads is re-attached and reaches active; one killed while stopping the old model is reported as interrupted, and the next swap works', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'spark-kill-swap-'));
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ plugins: { vllm: { readinessPollMs: 200, memoryFloorPct: 1, stopTimeoutSec: 10 }, cluster: { pollIntervalMs: 5000 } } }));
    const knobs = (v: object) => { const d = join(dataDir, 'sim/spark-1/state'); mkdirSync(d, { recursive: true }); writeFileSync(join(d, 'vllm-sim.json'), JSON.stringify(v)); };
    knobs({ loadMs: 5000 });
    const swapFile = join(dataDir, 'plugins-data/vllm/swap.json');
    try {
      // 1. Killed while vLLM is loading the weights.
      let sc = await startSparkControl(dataDir);
      const first = await startSwap(sc.url, 'qwen3-4b-instruct');
      const loading = await until(sc.url, (s) => ['process', 'health', 'models'].includes(s.job?.phase ?? ''), 15_000);
      expect(loading.job?.phase, JSON.stringify(loading.job)).toMatch(/process|health|models/);
      await sigkill(sc);
      expect(corruptJsonFiles(dataDir)).toEqual([]);
      expect(JSON.parse(readFileSync(swapFile, 'utf8')).data.job).toMatchObject({ id: first.id, state: 'running', modelId: 'qwen3-4b-instruct' });

      const t0 = Date.now();
      sc = await startSparkControl(dataDir);
      const back = await until(sc.url, (s) => !!s.active && !s.running, 20_000);
      expect(back.active, JSON.stringify(back.job)).toMatchObject({ modelId: 'qwen3-4b-instruct' });
      expect(back.job?.state).toBe('succeeded');
      expect(back.job?.logTail.join('\n')).toContain('re-attached');
      const reattachMs = Date.now() - t0;
      // It really serves: a chat completion through the proxy.
      const chat = await fetch(`${sc.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }), signal: AbortSignal.timeout(10_000) });
      expect(chat.status).toBe(200);
      expect(corruptJsonFiles(dataDir)).toEqual([]);

      // 2. Killed while the old model's container is being stopped (the fake daemon removes --rm containers after 1.5 s).
      const second = await startSwap(sc.url, 'gpt-oss-20b');
      const stopping = await until(sc.url, (s) => s.job?.id === second.id && s.job.phase === 'stop', 10_000);
      expect(stopping.job?.phase).toBe('stop');
      // Killed once swap.json says "stop" (under a loaded disk its write can land after the API shows the phase) and
      // the stop command has been sent: the container is on its way out.
      const persistedStop = Date.now() + 10_000;
      const persistedPhase = () => { try { return (JSON.parse(readFileSync(swapFile, 'utf8')) as { data: { job?: { id: string; phase?: string } } }).data.job; } catch { return undefined; } };
      while (!(persistedPhase()?.id === second.id && persistedPhase()?.phase === 'stop') && Date.now() < persistedStop) await new Promise((r) => setTimeout(r, 20));
      expect(persistedPhase()).toMatchObject({ id: second.id, phase: 'stop' });
      // ...and the stop has reached the Spark's docker daemon (the swap drains first; a fixed pause after the phase
      // write was sometimes too short under the whole suite's load, and the old model was rightly still active).
      const container = join(dataDir, 'sim/spark-1/state/containers/vllm_node.json');
      const stopped = () => { try { return !(JSON.parse(readFileSync(container, 'utf8')) as { State: { Running: boolean } }).State.Running; } catch { return true; } };
      const stopSent = Date.now() + 10_000;
      while (!stopped() && Date.now() < stopSent) await new Promise((r) => setTimeout(r, 20));
      expect(stopped(), 'the old container was never stopped').toBe(true);
      await sigkill(sc);
      expect(corruptJsonFiles(dataDir)).toEqual([]);
      await new Promise((r) => setTimeout(r, 1600)); // the old container finishes disappearing while nobody watches
      sc = await startSparkControl(dataDir);
      const reported = await until(sc.url, (s) => s.job?.state === 'failed', 15_000);
      expect(reported.job?.id).toBe(second.id); // the same swap, not forgotten
      expect(reported.job?.error?.code).toBe('VLLM_SWAP_INTERRUPTED');
      expect(reported.job?.error?.message, reported.job?.error?.message).toContain('phase stop');
      expect(reported.running).toBe(false);
      // The old model is gone from the Spark: Spark Control must not keep claiming it is active.
      expect(reported.active, 'stale active model after an interrupted stop').toBeNull();
      const models = (await (await fetch(`${sc.url}/api/plugins/vllm/models`)).json()).models as Array<{ id: string; state: string }>;
      expect(models.find((m) => m.id === 'qwen3-4b-instruct')?.state).not.toBe('active');

      // 3. The next swap works normally.
      knobs({ loadMs: 300 });
      await startSwap(sc.url, 'gpt-oss-20b');
      const done = await until(sc.url, (s) => !s.running && s.job?.state !== 'running' && !!s.active, 20_000);
      expect(done.active, JSON.stringify(done.job)).toMatchObject({ modelId: 'gpt-oss-20b' });
      await stopGracefully(sc);
      expect(corruptJsonFiles(dataDir)).toEqual([]);
      console.log(`[kill-during-swap] 2 SIGKILLs: loading swap re-attached → active ${(reattachMs / 1000).toFixed(1)} s after restart; stopping swap reported VLLM_SWAP_INTERRUPTED (phase stop), active cleared; next swap active; every JSON in the data dir parses`);
    } finally {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

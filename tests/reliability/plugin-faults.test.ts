import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Fault containment with the kernel's process-level handlers: fixture plugins throw in a timer, in an interval, in a
 * ctx.timers interval, reject a promise nobody awaits, throw in an event handler (fed by another plugin's event),
 * throw in an upstream body's data callback, and hold the loop for 2 s. For each: /health and another plugin answer
 * throughout, the culprit is `failed` with its code and where, its routes answer 503 with Retry-After, it is
 * `running` again after its backoff, and no callback of the torn-down instance runs afterwards. The kernel runs in its
 * own process (tests/reliability/fixtures/fault-kernel.ts): its handlers would otherwise share vitest's.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
let child: ChildProcess;
let url = '';
const logs: string[] = [];

interface Plugin { id: string; state: string; error?: { code: string; message: string; where?: string }; crashes?: number; loopStalls?: { count: number; maxMs: number; last: { plugin?: string; where?: string; attribution?: string } } }
const get = (path: string) => fetch(url + path, { signal: AbortSignal.timeout(10_000) });
const plugins = async (): Promise<Plugin[]> => (await get('/api/plugins')).json();
const plugin = async (id: string) => (await plugins()).find((p) => p.id === id)!;

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Polls /health and the bystander's route until stopped; every answer must be a 200. */
function keepAsking() {
  const failures: string[] = [];
  let answers = 0;
  let slowest = 0;
  let on = true;
  const loop = (async () => {
    while (on) {
      for (const path of ['/health', '/api/plugins/fx-bystander/ping']) {
        try {
          const t0 = performance.now();
          const r = await get(path);
          slowest = Math.max(slowest, performance.now() - t0);
          if (r.status !== 200) failures.push(`${path} ${r.status}`);
          else answers++;
        } catch (e) { failures.push(`${path} ${(e as Error).message}`); }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return { failures, stop: async () => { on = false; await loop; return { answers, slowestMs: Math.round(slowest) }; } };
}

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', 'tests/reliability/fixtures/fault-kernel.ts'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, VITEST: '' } });
  child.stderr!.on('data', (d) => logs.push(String(d)));
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`fixture kernel did not start:\n${logs.join('').slice(-2000)}`)), 40_000);
    child.stdout!.on('data', (d) => {
      out += String(d);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) { clearTimeout(t); resolve(JSON.parse(line).url); }
    });
    child.once('exit', (c) => { clearTimeout(t); reject(new Error(`fixture kernel exited ${c}:\n${logs.join('').slice(-2000)}`)); });
  });
}, 60_000);

afterAll(() => { if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });

const cases: Array<{ id: string; trigger: string; code: string; message: RegExp; where: RegExp }> = [
  { id: 'fx-timer', trigger: '/api/plugins/fx-timer/arm', code: 'SPK_PLUGIN_CRASHED', message: /boom in a timer/, where: /uncaught exception in a timer/ },
  { id: 'fx-hostile', trigger: '/api/plugins/fx-hostile/arm', code: 'SPK_PLUGIN_CRASHED', message: /cannot be printed/, where: /uncaught exception in a timer/ },
  { id: 'fx-interval', trigger: '/api/plugins/fx-interval/arm', code: 'SPK_PLUGIN_CRASHED', message: /boom in an interval/, where: /uncaught exception in a timer/ },
  { id: 'fx-ctxtimer', trigger: '/api/plugins/fx-ctxtimer/arm', code: 'SPK_PLUGIN_CRASHED', message: /boom in ctx.timers/, where: /interval timer/ },
  { id: 'fx-reject', trigger: '/api/plugins/fx-reject/arm', code: 'SPK_PLUGIN_CRASHED', message: /rejected and never awaited/, where: /unhandled rejection/ },
  { id: 'fx-event', trigger: '/api/plugins/fx-bystander/poke', code: 'SPK_PLUGIN_CRASHED', message: /boom in an event handler/, where: /event handler for "fx-bystander\."/ },
  { id: 'fx-stream', trigger: '/api/plugins/fx-stream/arm', code: 'SPK_PLUGIN_CRASHED', message: /boom in a data callback/, where: /stream callback of an upstream body/ },
  { id: 'fx-block', trigger: '/api/plugins/fx-block/arm', code: 'SPK_PLUGIN_LOOP_BLOCKED', message: /held the event loop for \d+ ms/, where: /route POST \/api\/plugins\/fx-block\/arm/ },
];

describe('a plugin whose code crashes is failed, contained and restarted', () => {
  for (const c of cases) {
    it(`${c.id}: ${c.message.source}`, async () => {
      expect((await plugin(c.id)).state).toBe('running');
      const asking = keepAsking();
      const t0 = performance.now();
      const armed = await fetch(url + c.trigger, { method: 'POST', signal: AbortSignal.timeout(10_000) });
      expect(armed.status).toBe(200);
      const failed = await waitFor(`${c.id} failed`, async () => { const p = await plugin(c.id); return p.state === 'failed' ? p : undefined; });
      const failedAt = performance.now() - t0;
      expect(failed.error).toMatchObject({ code: c.code });
      expect(failed.error!.message).toMatch(c.message);
      expect(failed.error!.where).toMatch(c.where);
      // Meanwhile its routes say when to come back, as problem+json (not a reset connection).
      const meanwhile = await get(`/api/plugins/${c.id}/ping`);
      if ((await plugin(c.id)).state === 'failed') {
        expect(meanwhile.status).toBe(503);
        expect(Number(meanwhile.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect((await meanwhile.json()).code).toBe('SPK_PLUGIN_NOT_RUNNING');
      }
      const back = await waitFor(`${c.id} running again`, async () => { const p = await plugin(c.id); return p.state === 'running' ? p : undefined; });
      const backAt = performance.now() - t0;
      expect(back.crashes).toBe(1);
      const ping = await get(`/api/plugins/${c.id}/ping`);
      expect(ping.status).toBe(200);
      expect((await ping.json()).starts).toBe(2);
      await new Promise((r) => setTimeout(r, 300));
      const { answers, slowestMs } = await asking.stop();
      expect(asking.failures).toEqual([]);
      expect(answers).toBeGreaterThan(2);
      console.log(`[faults] ${c.id}: failed ${Math.round(failedAt)} ms after the trigger, running again at ${Math.round(backAt)} ms (backoff 1 s); ${answers} answers from /health and another plugin meanwhile, 0 failed, slowest ${slowestMs} ms`);
      expect((await plugin(c.id)).state).toBe('running');
      // Every other fixture kept running.
      for (const p of await plugins()) expect(p.state, p.id).toBe('running');
    }, 40_000);
  }

  it('a request in flight when its plugin crashes is answered, not reset', async () => {
    const slow = get('/api/plugins/fx-slow/slow');
    await new Promise((r) => setTimeout(r, 100));
    expect((await fetch(url + '/api/plugins/fx-slow/arm', { method: 'POST' })).status).toBe(200);
    await waitFor('fx-slow failed', async () => ((await plugin('fx-slow')).state === 'failed' ? true : undefined));
    const r = await slow;
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ done: true });
    await waitFor('fx-slow running again', async () => ((await plugin('fx-slow')).state === 'running' ? true : undefined));
  });

  it('callbacks of torn-down instances never ran again (crashing intervals are cleared)', async () => {
    expect(await (await get('/api/plugins/fx-bystander/late')).json()).toEqual({});
  });

  it('names the plugin that held the loop in /health, /api/plugins and /metrics', async () => {
    const health = await (await get('/health')).json();
    expect(health.loop.stalls).toBeGreaterThanOrEqual(1);
    expect(health.loop.delayMs.max).toBeGreaterThanOrEqual(1900);
    const blocker = await plugin('fx-block');
    expect(blocker.loopStalls).toMatchObject({ count: 1, last: { plugin: 'fx-block', attribution: 'measured', where: 'route POST /api/plugins/fx-block/arm' } });
    expect(blocker.loopStalls!.maxMs).toBeGreaterThanOrEqual(1900);
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/spark_event_loop_stalls\{plugin="fx-block"\} 1/);
    expect(metrics).toMatch(/spark_plugin_crashes\{plugin="fx-timer"\} 1/);
    expect(Number(/spark_event_loop_delay_seconds\{quantile="1"\} ([\d.]+)/.exec(metrics)![1])).toBeGreaterThan(1.9);
  });

  it('an error outside any plugin is logged with its stack and the kernel carries on', async () => {
    child.send('orphan');
    const line = await waitFor('the log line', async () => logs.join('').split('\n').find((l) => l.includes('thrown outside any plugin')));
    const rec = JSON.parse(line);
    expect(rec.msg).toMatch(/outside any plugin/);
    expect(rec.stack).toMatch(/fault-kernel\.ts:\d+/);
    expect((await get('/health')).status).toBe(200);
    expect((await plugins()).every((p) => p.state === 'running')).toBe(true);
  });

  it('an uncaught error in the kernel\'s own code ends the process non-zero, saying why in one line', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.send('kernel');
    expect(await exited).toBe(70);
    const said = logs.join('').split('\n').filter((l) => l.startsWith('Spark Control stops:'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/TypeError: .* thrown by the kernel at core\/src\/kernel\/Kernel\.ts:\d+ leaves its state in doubt/);
  });
});

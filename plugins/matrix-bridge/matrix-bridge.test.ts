import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import type { SimCluster } from '../../sim/cluster.js';

let k: TestKernel;
let state: string;
let cluster: SimCluster;
const post = (p: string) => k.fetch(`/api/plugins/matrix-bridge${p}`, { method: 'POST' });
const get = (p: string) => k.fetch(`/api/plugins/matrix-bridge${p}`).then((r) => r.json());
const waitJob = (id: string) => k.app.services.jobs.wait(id);

beforeAll(async () => {
  k = await createTestKernel({ plugins: ['matrix-bridge'], config: { plugins: { 'matrix-bridge': { updateTimeoutSeconds: 120, statusIntervalMs: 60_000 } } } });
  cluster = k.app.sim!.cluster as unknown as SimCluster;
  state = join(k.sim!.hostRoot('spark-2'), 'state');
});
afterAll(async () => { await k?.stop(); });

describe('matrix-bridge against the simulated Spark 2', () => {
  it('shows the bot container state from docker', async () => {
    const s = await get('/status');
    expect(s).toMatchObject({ enabled: true, container: 'matrix-bot', hostId: 'spark-2', text: 'running' });
  });

  it('updates: fetch, checkout, build, recreate, verify — streamed with phases, ending running', async () => {
    const r = await post('/update');
    expect(r.status).toBe(202);
    const job = await r.json();
    // A second action while the update runs is refused.
    const busy = await post('/actions/restart');
    expect(busy.status).toBe(409);
    expect((await busy.json()).code).toBe('MATRIX_BRIDGE_BUSY');
    const done = await waitJob(job.id);
    expect(done.state).toBe('succeeded');
    expect(done.phase).toBe('done');
    expect(done.logTail.join('\n')).toMatch(/HEAD is now at 2222222 Answer in threads/);
    expect(done.logTail.join('\n')).toMatch(/naming to docker.io\/library\/matrix-bot:latest/);
    expect((await get('/status')).text).toBe('running');
  });

  it('fails loudly when the build fails, naming the phase and the last lines', async () => {
    writeFileSync(join(state, 'docker-fail-build'), 'process "/bin/sh -c npm ci" did not complete successfully: exit code: 1');
    try {
      const job = await (await post('/update')).json();
      const done = await waitJob(job.id);
      expect(done.state).toBe('failed');
      expect(done.error).toMatchObject({ code: 'MATRIX_BRIDGE_UPDATE_FAILED', phase: 'build' });
      expect(done.error!.message).toMatch(/docker build failed/);
      expect(done.logTail.join('\n')).toContain('failed to solve');
    } finally {
      rmSync(join(state, 'docker-fail-build'), { force: true });
    }
  });

  it('the old POST /api/matrix-bridge/update streams the output as text, line by line, with a fail-loud last line', async () => {
    const res = await k.fetch('/api/matrix-bridge/update', { method: 'POST' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    // Lines arrive while the update runs (the first chunk comes before the end).
    const reader = res.body!.getReader();
    const chunks: string[] = [];
    for (;;) { const { done, value } = await reader.read(); if (done) break; chunks.push(Buffer.from(value).toString()); }
    const text = chunks.join('');
    expect(chunks.length).toBeGreaterThan(1);
    expect(text).toMatch(/HEAD is now at 2222222 Answer in threads/);
    expect(text.trimEnd().split('\n').at(-1)).toBe('UPDATE OK');
    writeFileSync(join(state, 'docker-fail-build'), 'process "/bin/sh -c npm ci" did not complete successfully: exit code: 1');
    try {
      const failed = await (await k.fetch('/api/matrix-bridge/update', { method: 'POST' })).text();
      expect(failed).toContain('failed to solve');
      expect(failed.trimEnd().split('\n').at(-1)).toMatch(/^UPDATE FAILED: docker build failed.* \(phase build\)$/);
    } finally {
      rmSync(join(state, 'docker-fail-build'), { force: true });
    }
    // The plugin's own path still answers a job.
    const job = await post('/update');
    expect(job.status).toBe(202);
    expect((await waitJob((await job.json()).id)).state).toBe('succeeded');
  });

  it('enforces the hard cap on a hanging build and leaves no remote process behind', async () => {
    // A short cap for this test only: the other updates must not race a 6 s cap on a loaded machine.
    const setCap = (s: number) => k.fetch('/api/config/plugins/matrix-bridge', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ updateTimeoutSeconds: s, statusIntervalMs: 60_000 }) });
    expect((await setCap(6)).status).toBe(200);
    writeFileSync(join(state, 'docker-hang-build'), '');
    try {
      const t0 = Date.now();
      const job = await (await post('/update')).json();
      const done = await waitJob(job.id);
      expect(Date.now() - t0).toBeLessThan(12_000);
      expect(done.state).toBe('failed');
      expect(done.error).toMatchObject({ code: 'SPK_JOB_TIMEOUT', phase: 'build' });
      const end = Date.now() + 3000;
      while (cluster.server('spark-2').processes().length && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(cluster.server('spark-2').processes()).toEqual([]);
    } finally {
      rmSync(join(state, 'docker-hang-build'), { force: true });
      await setCap(120);
    }
  }, 20_000);

  it('stop, start and restart report the transition right after the action', async () => {
    const stop = await (await post('/actions/stop')).json();
    expect(stop).toMatchObject({ before: 'running', after: 'exited with code 0' });
    const start = await (await post('/actions/start')).json();
    expect(start).toMatchObject({ before: 'exited with code 0', after: 'running' });
    const restart = await post('/actions/restart');
    expect(restart.status).toBe(200);
  });

  it('follows logs over SSE and stops the remote docker logs when the client goes away', async () => {
    const ac = new AbortController();
    const res = await k.fetch('/api/plugins/matrix-bridge/logs/follow?lines=5', { signal: ac.signal });
    const reader = res.body!.getReader();
    let text = '';
    const end = Date.now() + 5000;
    while (!text.includes('event: line') && Date.now() < end) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toMatch(/event: line\ndata: \{"line":"\d{4}-/);
    expect(cluster.server('spark-2').processes().some((p) => p.command.includes('--follow'))).toBe(true);
    ac.abort();
    const end2 = Date.now() + 4000;
    while (cluster.server('spark-2').processes().some((p) => p.command.includes('--follow')) && Date.now() < end2) await new Promise((r) => setTimeout(r, 50));
    expect(cluster.server('spark-2').processes().filter((p) => p.command.includes('--follow'))).toEqual([]);
  });

  it('answers the existing /api/matrix-bridge/logs path', async () => {
    const r = await (await k.fetch('/api/matrix-bridge/logs?lines=3')).json();
    expect(r.lines.length).toBeGreaterThan(0);
    expect(r.lines.length).toBeLessThanOrEqual(3);
    expect((await k.fetch('/api/matrix-bridge/logs?lines=-1')).status).toBe(400);
  });

  it('refuses hostile settings with field errors and sends nothing over SSH', async () => {
    const before = existsSync(join(state, 'containers'));
    const r = await k.fetch('/api/config/plugins/matrix-bridge', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ containerName: 'x; touch /tmp/pwn', gitBranch: '$(id)' }) });
    expect(r.status).toBe(400);
    const fields = (await r.json()).errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['containerName', 'gitBranch']);
    expect(existsSync('/tmp/pwn')).toBe(false);
    expect(before).toBe(true);
  });
});

describe('matrix-bridge with no bot user', () => {
  it('hides its tile and refuses actions when not simulated and no user is set', async () => {
    const kk = await createTestKernel({ plugins: ['matrix-bridge'], simulate: false });
    try {
      expect(await (await kk.fetch('/api/ui/tiles')).json()).toEqual([]);
      const r = await kk.fetch('/api/plugins/matrix-bridge/actions/restart', { method: 'POST' });
      expect(r.status).toBe(409);
      expect((await r.json()).code).toBe('MATRIX_BRIDGE_DISABLED');
    } finally {
      await kk.stop();
    }
  });
});

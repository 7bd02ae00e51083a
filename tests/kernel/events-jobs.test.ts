import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSparkPlugin, SparkError } from '../../core/src/api/index.js';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

let k: TestKernel | undefined;
afterEach(async () => { await k?.stop(); k = undefined; });

const jobsPlugin = () => defineSparkPlugin({
  manifest: { id: 'jobby', name: 'jobs', version: '1.0.0', apiVersion: '^2.0.0' },
  configSchema: z.object({}),
  register(ctx) {
    ctx.routes.add({ method: 'POST', path: '/work', body: z.object({ steps: z.number().int().min(1).max(20), failAt: z.number().int().optional() }) }, (c) =>
      ctx.jobs.start({
        kind: 'demo', title: 'demo work', phases: ['prepare', 'run'], timeoutMs: 5000,
        run: async (job) => {
          job.phase('prepare');
          for (let i = 0; i < c.body.steps; i++) {
            if (job.signal.aborted) throw job.signal.reason;
            if (i === 1) job.phase('run');
            if (c.body.failAt === i) throw new SparkError('JOBBY_BROKE', `broke at step ${i}`);
            job.log(`step ${i}`);
            job.progress((i + 1) / c.body.steps);
            await new Promise((r) => setTimeout(r, 50));
          }
          return { done: c.body.steps };
        },
      }));
    ctx.routes.add({ method: 'POST', path: '/ping-event' }, () => { ctx.events.emit('jobby.ping', { n: 1 }); return { ok: true }; });
  },
});

async function readSse(url: string, until: (events: Array<{ event: string; data: any }>) => boolean, ms = 4000) {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal });
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  const events: Array<{ event: string; data: any }> = [];
  let buf = '';
  const deadline = setTimeout(() => ac.abort(), ms);
  try {
    while (!until(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value);
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (data) { const parsed = JSON.parse(data); events.push({ event: parsed.type, data: parsed }); }
      }
    }
  } finally {
    clearTimeout(deadline);
    ac.abort();
  }
  return events;
}

describe('events and jobs', () => {
  it('runs a job with phases, progress and log tail, visible over SSE and at /api/jobs', async () => {
    k = await createTestKernel({ simulate: false, plugins: [jobsPlugin()] });
    const ssePromise = readSse(`${k.url}/api/events`, (ev) => ev.some((e) => e.event === 'job.update' && e.data.data.state === 'succeeded'));
    await new Promise((r) => setTimeout(r, 100));
    const started = await (await k.fetch('/api/plugins/jobby/work', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"steps":4}' })).json();
    expect(started.state).toBe('running');
    const events = await ssePromise;
    expect(events[0].event).toBe('hello');
    const updates = events.filter((e) => e.event === 'job.update').map((e) => e.data.data);
    expect(updates.map((u) => u.phase)).toContain('run');
    const final = await (await k.fetch(`/api/jobs/${started.id}`)).json();
    expect(final).toMatchObject({ state: 'succeeded', progress: 1, result: { done: 4 }, logTail: ['step 0', 'step 1', 'step 2', 'step 3'] });
  });

  it('cancels a running job; a failing job reports its phase and code', async () => {
    k = await createTestKernel({ simulate: false, plugins: [jobsPlugin()] });
    const post = (b: unknown) => k!.fetch('/api/plugins/jobby/work', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) }).then((r) => r.json());
    const long = await post({ steps: 20 });
    await new Promise((r) => setTimeout(r, 120));
    const c = await k.fetch(`/api/jobs/${long.id}/cancel`, { method: 'POST' });
    expect(c.status).toBe(200);
    const done = await k.app.services.jobs.wait(long.id);
    expect(done.state).toBe('cancelled');
    expect((await k.fetch(`/api/jobs/${long.id}/cancel`, { method: 'POST' })).status).toBe(409);
    const bad = await post({ steps: 5, failAt: 2 });
    const failed = await k.app.services.jobs.wait(bad.id);
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'JOBBY_BROKE', phase: 'run' } });
  });

  it('delivers plugin events to SSE subscribers filtered by prefix and cleans up on disconnect', async () => {
    k = await createTestKernel({ simulate: false, plugins: [jobsPlugin()] });
    const base = k.app.services.events.subscriberCount;
    const p = readSse(`${k.url}/api/events?prefix=jobby.`, (ev) => ev.some((e) => e.event === 'jobby.ping'));
    await new Promise((r) => setTimeout(r, 100));
    expect(k.app.services.events.subscriberCount).toBe(base + 1);
    await k.fetch('/api/plugins/jobby/ping-event', { method: 'POST' });
    const ev = await p;
    expect(ev.find((e) => e.event === 'jobby.ping')!.data).toMatchObject({ plugin: 'jobby', data: { n: 1 } });
    const end = Date.now() + 2000;
    while (k.app.services.events.subscriberCount > base && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(k.app.services.events.subscriberCount).toBe(base);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestKernel } from '../../core/src/testing/createTestKernel.js';
import { HistoryStore } from '../../core/src/services/history/HistoryStore.js';
import { JsonLogger } from '../../core/src/services/logger/Logger.js';

const log = new JsonLogger('silent');
const dirs: string[] = [];
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'spark-history-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

describe('history store', () => {
  it('keeps a point per step and label set, leaves gaps for missing values, and survives a reopen', () => {
    const dir = tmp();
    const h = new HistoryStore(dir, log);
    let v: number | null = 10;
    h.declare('cluster', { name: 'gpu_util', unit: '%', sample: () => [{ labels: { host: 'spark-1' }, value: v }, { labels: { host: 'spark-2' }, value: 50 }] });
    const t0 = Date.now() - 60_000;
    for (let i = 0; i < 6; i++) { h.step(t0 + i * 5_000); v = i === 2 ? null : (v ?? 0) + 10; }
    h.mark('vllm', 'swap', 'qwen serving', t0 + 12_000);
    h.close();
    const again = new HistoryStore(dir, log);
    const sets = again.range('cluster.gpu_util', t0 - 10_000, t0 + 60_000);
    expect(sets.map((s) => s.labels.host)).toEqual(['spark-1', 'spark-2']);
    expect(sets[0].unit).toBe('%');
    // step 3 sampled null: a gap, not a zero
    expect(sets[0].points.map((p) => p.v)).toEqual([10, 20, 30, 10, 20]);
    expect(sets[1].points).toHaveLength(6);
    expect(again.marks(t0, t0 + 60_000)).toEqual([{ t: t0 + 12_000, plugin: 'vllm', kind: 'swap', text: 'qwen serving' }]);
    expect(again.list().map((s) => s.key)).toEqual(['cluster.gpu_util{host=spark-1}', 'cluster.gpu_util{host=spark-2}']);
    again.close();
  });

  it('folds points past the raw window into 5-minute averages with min and max, and drops what is past 30 days', () => {
    const h = new HistoryStore(tmp(), log);
    let i = 0;
    h.declare('kernel', { name: 'rss', sample: () => 100 + (i++ % 2) * 10 });
    const now = Date.now();
    const old = Math.floor((now - 25 * 3600_000) / 300_000) * 300_000; // 25 h ago, on a 5-minute boundary
    for (let k = 0; k < 60; k++) h.step(old + k * 5_000); // 5 minutes of points alternating 100 / 110
    h.step(now - 31 * 24 * 3600_000); // a point past every window
    h.fold(now);
    const [set] = h.range('kernel.rss', now - 30 * 24 * 3600_000, now, 10_000); // at 5-minute resolution
    expect(set.points).toHaveLength(1);
    expect(set.points[0]).toMatchObject({ t: old, v: 105, min: 100, max: 110 });
    expect(h.range('kernel.rss', now - 32 * 24 * 3600_000, now - 30 * 24 * 3600_000)[0].points).toEqual([]);
    h.close();
  });

  it('thins a long range to the points asked for by averaging neighbours', () => {
    const h = new HistoryStore(tmp(), log);
    let n = 0;
    h.declare('kernel', { name: 'http_requests', sample: () => n++ });
    const t0 = Math.floor((Date.now() - 3600_000) / 60_000) * 60_000;
    for (let k = 0; k < 720; k++) h.step(t0 + k * 5_000); // one hour at 5 s
    const [set] = h.range('kernel.http_requests', t0, t0 + 3600_000, 60);
    expect(set.points.length).toBeLessThanOrEqual(61);
    expect(set.points.length).toBeGreaterThanOrEqual(59);
    expect(set.points[0].v).toBeCloseTo(5.5, 5); // the first minute: 0..11
    h.close();
  });

  it('a sample that throws is skipped and the others are still written', () => {
    const h = new HistoryStore(tmp(), log);
    h.declare('x', { name: 'bad', sample: () => { throw new Error('boom'); } });
    h.declare('x', { name: 'good', sample: () => 1 });
    h.step();
    expect(h.list().map((s) => s.key)).toEqual(['x.good']);
    expect(() => h.declare('x', { name: 'Bad Name', sample: () => 1 })).toThrow(/series name/);
    h.close();
  });
});

describe('history API', () => {
  it('serves the Sparks\' series by range, refuses unknown and malformed query fields by name, and keeps them across a restart', async () => {
    const dataDir = tmp();
    let k = await createTestKernel({ plugins: ['cluster'], dataDir });
    const polled = await (await k.fetch('/api/plugins/cluster/hosts/spark-1/poll', { method: 'POST' })).json().catch(() => undefined);
    expect(polled).toBeDefined();
    await k.fetch('/api/plugins/cluster/hosts/spark-2/poll', { method: 'POST' });
    k.app.services.history.step();
    const r = await k.fetch('/api/history?series=cluster.memory_used');
    expect(r.status).toBe(200);
    const body = await r.json() as { sets: Array<{ labels: { host: string }; unit: string; points: Array<{ t: number; v: number }> }> };
    expect(body.sets.map((s) => s.labels.host).sort()).toEqual(['spark-1', 'spark-2']);
    expect(body.sets[0].unit).toBe('GiB');
    expect(body.sets[0].points[0].v).toBeGreaterThan(0);
    const series = await (await k.fetch('/api/history/series')).json() as { series: Array<{ key: string }> };
    expect(series.series.map((s) => s.key)).toContain('cluster.gpu_util{host=spark-1}');

    const unknown = await k.fetch('/api/history?series=cluster.gpu_util&range=1h');
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(await unknown.json())).toContain('range');
    const bad = await k.fetch('/api/history?series=../../etc');
    expect(bad.status).toBe(400);
    expect((await bad.json() as { errors: Array<{ field: string }> }).errors[0].field).toBe('query.series');

    await k.stop({ keepData: true });
    k = await createTestKernel({ plugins: ['cluster'], dataDir });
    const after = await (await k.fetch('/api/history?series=cluster.memory_used')).json() as typeof body;
    expect(after.sets.map((s) => s.points.length).every((n) => n >= 1)).toBe(true);
    await k.stop();
  });
});

import { describe, expect, it } from 'vitest';
import { isSparkError, SparkError } from '@spark-control/plugin-api';
import { pipelinedIngest } from './src/ingest.js';

/** A recorded run: what happened in which order, with embed and upsert each taking a few ms. */
function recorder(o: { failEmbedAt?: number; failUpsertAt?: number; failUndo?: boolean } = {}) {
  const log: string[] = [];
  const stored = new Map<number, string>();
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  return {
    log, stored,
    embed: async (batch: number[]) => {
      log.push(`embed ${batch[0]} start`);
      await wait(5);
      if (o.failEmbedAt !== undefined && batch.includes(o.failEmbedAt)) throw new SparkError('SPK_UPSTREAM_UNAVAILABLE', 'embeddings on spark-2 is unreachable', { status: 503, retryAfter: 5 });
      log.push(`embed ${batch[0]} end`);
      return batch.map((x) => `v${x}`);
    },
    upsert: async (batch: number[], vectors: string[]) => {
      log.push(`upsert ${batch[0]} start`);
      await wait(8);
      if (o.failUpsertAt !== undefined && batch.includes(o.failUpsertAt)) throw new Error('qdrant refused');
      batch.forEach((x, i) => stored.set(x, vectors[i]));
      log.push(`upsert ${batch[0]} end`);
    },
    undo: async (written: number[]) => {
      if (o.failUndo) throw new Error('qdrant gone');
      for (const x of written) stored.delete(x);
      log.push(`undo ${written.length}`);
    },
  };
}
const items = Array.from({ length: 10 }, (_, i) => i);

describe('pipelined ingest', () => {
  it('embeds the next batch while the current one is stored, and stores every batch in order', async () => {
    const r = recorder();
    await pipelinedIngest(items, { batchSize: 3, depth: 1, ...r });
    expect([...r.stored.keys()].sort((a, b) => a - b)).toEqual(items);
    expect(r.stored.get(7)).toBe('v7');
    const at = (e: string) => r.log.indexOf(e);
    // batch 3 is being embedded while batch 0 is stored: its embedding starts before that upsert ends
    expect(at('embed 3 start')).toBeLessThan(at('upsert 0 end'));
    const upserts = r.log.filter((e) => e.startsWith('upsert') && e.endsWith('start'));
    expect(upserts).toEqual(['upsert 0 start', 'upsert 3 start', 'upsert 6 start', 'upsert 9 start']);
    // depth 1: never more than one embedding ahead of the batch being stored
    expect(at('embed 6 start')).toBeGreaterThan(at('upsert 0 end'));
  });

  it('a request that fits one embedding call goes as one batch; a larger one is split and pipelined', async () => {
    const r = recorder();
    await pipelinedIngest(items, { batchSize: 3, depth: 1, wholeUpTo: 10, ...r });
    expect(r.log.filter((e) => e.endsWith('start'))).toEqual(['embed 0 start', 'upsert 0 start']);
    expect([...r.stored.keys()].sort((a, b) => a - b)).toEqual(items);
    const r2 = recorder();
    await pipelinedIngest(items, { batchSize: 3, depth: 1, wholeUpTo: 9, ...r2 });
    expect(r2.log.filter((e) => e.startsWith('upsert') && e.endsWith('start'))).toEqual(['upsert 0 start', 'upsert 3 start', 'upsert 6 start', 'upsert 9 start']);
  });

  it('a failed upsert of a whole request names its first and last item', async () => {
    const r = recorder({ failUpsertAt: 4 });
    const e = await pipelinedIngest(items, { batchSize: 3, depth: 1, wholeUpTo: 10, ...r }).catch((x) => x);
    expect(isSparkError(e)).toBe(true);
    expect(e.message).toMatch(/storing items 0–9 failed/);
    expect(r.stored.size).toBe(0);
  });

  it('a failed embedding keeps nothing of the request and names the first item of its batch', async () => {
    const r = recorder({ failEmbedAt: 7 });
    const e = await pipelinedIngest(items, { batchSize: 3, depth: 2, ...r }).catch((x) => x);
    expect(isSparkError(e)).toBe(true);
    expect(e.status).toBe(503);
    expect(e.code).toBe('SPK_UPSTREAM_UNAVAILABLE');
    expect(e.retryAfter).toBe(5);
    expect(e.details.errors).toEqual([{ field: 'items.6', message: 'embedding items 6–8 failed' }]);
    expect(e.message).toMatch(/the 6 items already stored were removed again/);
    expect(r.stored.size).toBe(0);
    expect(r.log).toContain('undo 6');
  });

  it('a failed upsert removes what was stored; an undo that fails too says how many items stayed', async () => {
    const r = recorder({ failUpsertAt: 4 });
    const e = await pipelinedIngest(items, { batchSize: 3, depth: 1, ...r }).catch((x) => x);
    expect(e.details.errors[0].field).toBe('items.3');
    expect(e.status).toBe(502);
    expect(r.stored.size).toBe(0);
    const r2 = recorder({ failUpsertAt: 4, failUndo: true });
    const e2 = await pipelinedIngest(items, { batchSize: 3, depth: 1, ...r2 }).catch((x) => x);
    expect(e2.message).toMatch(/3 items were stored and could not be removed again/);
    expect(e2.details.stored).toBe(3);
  });

  it('a failure in the first batch writes nothing and needs no undo', async () => {
    const r = recorder({ failEmbedAt: 0 });
    const e = await pipelinedIngest(items, { batchSize: 4, depth: 2, ...r }).catch((x) => x);
    expect(e.message).toMatch(/nothing was stored/);
    expect(r.log.some((x) => x.startsWith('undo'))).toBe(false);
  });
});

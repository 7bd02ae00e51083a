import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import type { SimCluster } from '../../sim/cluster.js';
import { FollowerSlots, FOLLOWERS_PER_CLIENT, FOLLOWERS_TOTAL } from './src/followers.js';
import { waitFor } from '../../tests/helpers/sseRead.js';

let k: TestKernel;
let cluster: SimCluster;
beforeAll(async () => {
  k = await createTestKernel({ plugins: ['matrix-bridge'], config: { plugins: { 'matrix-bridge': { statusIntervalMs: 60_000 } } } });
  cluster = k.app.sim!.cluster as unknown as SimCluster;
});
afterAll(async () => { await k?.stop(); });

const follows = () => cluster.server('spark-2').processes().filter((p) => p.command.includes('--follow')).length;

describe('log followers are capped', () => {
  it(`one client gets ${FOLLOWERS_PER_CLIENT} followers, then 429; a slot is free again once one leaves`, async () => {
    const open: AbortController[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < FOLLOWERS_PER_CLIENT + 6; i++) {
      const ac = new AbortController();
      const r = await k.fetch('/api/plugins/matrix-bridge/logs/follow?lines=1', { signal: ac.signal });
      statuses.push(r.status);
      if (r.status === 200) open.push(ac);
      else {
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
        expect((await r.json()).code).toBe('MATRIX_TOO_MANY_FOLLOWERS');
      }
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(FOLLOWERS_PER_CLIENT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(6);
    await waitFor(() => follows() >= FOLLOWERS_PER_CLIENT, 5_000);
    expect(follows()).toBeLessThanOrEqual(FOLLOWERS_PER_CLIENT);
    open.pop()!.abort();
    await waitFor(() => follows() < FOLLOWERS_PER_CLIENT, 5_000);
    const again = new AbortController();
    expect((await k.fetch('/api/plugins/matrix-bridge/logs/follow?lines=1', { signal: again.signal })).status).toBe(200);
    open.push(again);
    for (const ac of open) ac.abort();
    await waitFor(() => follows() === 0, 20_000);
    expect(follows()).toBe(0);
    expect(FOLLOWERS_TOTAL).toBeGreaterThanOrEqual(FOLLOWERS_PER_CLIENT);
  }, 60_000);
});

describe('a follower that leaves at once', () => {
  it('leaves no remote docker logs -f behind, even when it left while its SSH channel was still opening', async () => {
    for (let i = 0; i < 12; i++) {
      const ac = new AbortController();
      const r = await k.fetch('/api/plugins/matrix-bridge/logs/follow?lines=1', { signal: ac.signal });
      expect(r.status).toBe(200);
      ac.abort();
    }
    await waitFor(() => follows() === 0, 10_000);
    expect(follows()).toBe(0);
  }, 60_000);
});

describe('FollowerSlots', () => {
  it('caps per client and in total, and a release frees exactly one slot once', () => {
    const slots = new FollowerSlots(2, 3);
    const a1 = slots.take('a');
    slots.take('a');
    expect(() => slots.take('a')).toThrow(/2 per client/);
    slots.take('b');
    expect(() => slots.take('c')).toThrow(/3 in all/);
    a1();
    a1();
    expect(slots.open).toBe(2);
    expect(() => slots.take('c')).not.toThrow();
    expect(() => slots.take('d')).toThrow(/3 in all/);
  });
});

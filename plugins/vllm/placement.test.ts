import { describe, expect, it } from 'vitest';
import { planPlacement, type Resident } from './src/residency/placement.js';

const GB = 1e9;
const r = (slot: number, modelId: string, gb: number, lastUsedAt: number, o: Partial<Resident> = {}): Resident => ({ slot, modelId, hosts: ['spark-1'], awakeBytes: gb * GB, sleepingBytes: o.canSleep ? 3 * GB : 0, asleep: false, canSleep: false, pinned: false, lastUsedAt, ...o });
const plan = (needGb: number, residents: Resident[], freeSlots: number[], budgetGb = 100) => planPlacement({ needBytes: needGb * GB, hosts: ['spark-1'], budgetBytes: () => budgetGb * GB, residents, freeSlots });

describe('placement of a load among models sharing a Spark', () => {
  it('fits beside the others in a free slot without touching them', () => {
    expect(plan(30, [r(1, 'a', 40, 1)], [2, 3])).toEqual({ ok: true, slot: 2, evict: [] });
  });

  it('evicts in least-recently-used order until it fits, and takes a stopped model\'s slot', () => {
    const res = [r(1, 'a', 40, 3), r(2, 'b', 30, 1), r(3, 'c', 25, 2)];
    // 95 used; 40 needed → b (oldest) stops, 65 + 40 > 100 still → c stops too.
    expect(plan(40, res, [])).toEqual({ ok: true, slot: 2, evict: [{ slot: 2, modelId: 'b', action: 'stop' }, { slot: 3, modelId: 'c', action: 'stop' }] });
  });

  it('puts a model with sleep mode to sleep before stopping anything', () => {
    const res = [r(1, 'a', 40, 1, { canSleep: true }), r(2, 'b', 40, 2)];
    expect(plan(30, res, [3])).toEqual({ ok: true, slot: 3, evict: [{ slot: 1, modelId: 'a', action: 'sleep' }] });
  });

  it('stops a sleeping model when sleeping is not enough', () => {
    const res = [r(1, 'a', 40, 1, { canSleep: true }), r(2, 'b', 40, 2)];
    // Asleep a still holds 3: 43 + 60 > 100 → a stops (its sleep is superseded), b stays.
    expect(plan(60, res, [3])).toEqual({ ok: true, slot: 3, evict: [{ slot: 1, modelId: 'a', action: 'stop' }] });
  });

  it('needs a slot: with every slot taken and room to spare, the least recently used model still gives up its slot', () => {
    expect(plan(10, [r(1, 'a', 10, 2), r(2, 'b', 10, 1)], [])).toEqual({ ok: true, slot: 2, evict: [{ slot: 2, modelId: 'b', action: 'stop' }] });
  });

  it('never evicts a pinned model, and names it when it is in the way', () => {
    const res = [r(1, 'p', 70, 1, { pinned: true }), r(2, 'b', 10, 5)];
    expect(plan(40, res, [3])).toEqual({ ok: false, reason: 'pinned', blockedBy: ['p'], shortBytes: 10 * GB, hostId: 'spark-1' });
  });

  it('counts the Sparks of a tensor-parallel model on each of them', () => {
    const res = [{ ...r(1, 'tp', 60, 1), hosts: ['spark-1', 'spark-2'] }];
    const p = planPlacement({ needBytes: 50 * GB, hosts: ['spark-2'], budgetBytes: () => 100 * GB, residents: res, freeSlots: [2] });
    expect(p).toEqual({ ok: true, slot: 2, evict: [{ slot: 1, modelId: 'tp', action: 'stop' }] });
  });

  it('refuses a model larger than the whole budget without evicting', () => {
    expect(plan(120, [r(1, 'a', 10, 1)], [2])).toMatchObject({ ok: false, reason: 'too-large', blockedBy: [] });
  });
});

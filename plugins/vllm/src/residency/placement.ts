/**
 * Where a model loads when models share the Sparks, decided on figures alone: the free slot it takes, and the least
 * recently used models that must sleep or stop first so that every Spark it runs on stays within its budget. Nothing
 * here touches a Spark; residency.ts carries the plan out.
 */

/** A model that holds a slot now, as the plan counts it. */
export interface Resident {
  slot: number;
  modelId: string;
  /** The Sparks it holds memory on (head first). */
  hosts: string[];
  /** What it holds per Spark awake, and asleep (sleep mode frees its weights and KV cache, not its process). */
  awakeBytes: number;
  sleepingBytes: number;
  asleep: boolean;
  /** It was launched with sleep mode, so it can sleep instead of stopping. */
  canSleep: boolean;
  pinned: boolean;
  /** Last request (or load) time, ms: the least recently used goes first. */
  lastUsedAt: number;
}

export interface PlacementInput {
  /** What the model needs on each Spark it runs on. */
  needBytes: number;
  hosts: string[];
  /** Memory the served models may hold per Spark, after the OS reserve and the services that declare theirs. */
  budgetBytes(hostId: string): number;
  residents: Resident[];
  /** Slots holding nothing. */
  freeSlots: number[];
}

export type EvictAction = { slot: number; modelId: string; action: 'sleep' | 'stop' };
export type Placement =
  | { ok: true; slot: number; evict: EvictAction[] }
  | { ok: false; reason: 'pinned' | 'too-large'; blockedBy: string[]; shortBytes: number; hostId: string };

const held = (r: Resident) => (r.asleep ? r.sleepingBytes : r.awakeBytes);

/** The slot and evictions for a load: LRU models sleep first (those that can), then LRU models stop, until every Spark
 *  of the launch has room and a slot is free. Pinned models are never touched; when only they stand in the way the
 *  answer names them. */
export function planPlacement(p: PlacementInput): Placement {
  const state = new Map(p.residents.map((r) => [r.slot, { ...r }]));
  const evict: EvictAction[] = [];
  const used = (h: string) => [...state.values()].filter((r) => r.hosts.includes(h)).reduce((n, r) => n + held(r), 0);
  const short = () => {
    for (const h of p.hosts) {
      const s = used(h) + p.needBytes - p.budgetBytes(h);
      if (s > 0) return { hostId: h, bytes: s };
    }
    return undefined;
  };
  const lru = () => [...state.values()].filter((r) => !r.pinned).sort((a, b) => a.lastUsedAt - b.lastUsedAt);
  const onShortHost = (r: Resident, h: string) => r.hosts.includes(h);
  // A model larger than a whole budget never fits, whatever is evicted.
  for (const h of p.hosts) {
    if (p.needBytes > p.budgetBytes(h)) return { ok: false, reason: 'too-large', blockedBy: [], shortBytes: p.needBytes - p.budgetBytes(h), hostId: h };
  }
  // 1. Sleep: the least recently used awake models on the short Spark that can sleep.
  for (let s = short(); s; s = short()) {
    const r = lru().find((x) => !x.asleep && x.canSleep && onShortHost(x, s.hostId) && x.awakeBytes > x.sleepingBytes);
    if (!r) break;
    r.asleep = true;
    evict.push({ slot: r.slot, modelId: r.modelId, action: 'sleep' });
  }
  // 2. Stop: the least recently used models on the short Spark, asleep or not.
  for (let s = short(); s; s = short()) {
    const r = lru().find((x) => onShortHost(x, s.hostId));
    if (!r) {
      const pinned = [...state.values()].filter((x) => x.pinned && x.hosts.includes(s.hostId)).map((x) => x.modelId);
      return { ok: false, reason: 'pinned', blockedBy: pinned, shortBytes: s.bytes, hostId: s.hostId };
    }
    stop(r);
  }
  // 3. A slot: a free one, else the least recently used model's (stopping it).
  let slot = p.freeSlots[0] ?? evict.find((e) => e.action === 'stop')?.slot;
  if (slot === undefined) {
    const r = lru()[0];
    if (!r) return { ok: false, reason: 'pinned', blockedBy: [...state.values()].map((x) => x.modelId), shortBytes: 0, hostId: p.hosts[0] };
    stop(r);
    slot = r.slot;
  }
  return { ok: true, slot, evict };

  function stop(r: Resident) {
    state.delete(r.slot);
    const i = evict.findIndex((e) => e.slot === r.slot);
    if (i >= 0) evict.splice(i, 1);
    evict.push({ slot: r.slot, modelId: r.modelId, action: 'stop' });
  }
}

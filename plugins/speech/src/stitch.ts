import type { Turn } from './merge.js';

/** Long-audio diarization (reference/services.md §1.4, pattern 2 with pattern 3 as fallback): the diarizer only
 *  sees one chunk at a time and names speakers by arrival within it, so chunk labels are linked into global speakers
 *  by their voice fingerprints (agglomerative, average-linkage cosine ≥ threshold, 0.7 like the predecessor; two
 *  labels of one chunk are never merged). A label that came without a usable fingerprint is linked by co-activity
 *  with the previous chunk in the overlap instead. The overlap is then cut in its middle so no speech is counted
 *  twice, and turns that meet at a cut are joined. */
export interface ChunkDiarization {
  /** Where the chunk starts in the whole file, seconds. */
  offset: number;
  duration: number;
  /** Chunk-local times and labels. */
  segments: Turn[];
  fingerprints?: Record<string, number[]>;
  speakersDetected?: number;
}

export interface StitchResult {
  turns: Turn[]; speakers: string[]; capChunks: number[];
  /** Each global speaker's voice: the mean of its chunk labels' unit-length fingerprints (none without any). */
  fingerprints: Record<string, number[]>;
}

export const DIARIZER_SPEAKER_CAP = 4;

export function planChunks(duration: number, chunkSec: number, overlapSec: number): Array<{ start: number; end: number }> {
  if (duration <= chunkSec) return [{ start: 0, end: duration }];
  const step = chunkSec - overlapSec;
  const n = Math.max(1, Math.ceil((duration - overlapSec) / step));
  return Array.from({ length: n }, (_, i) => ({ start: i * step, end: i === n - 1 ? duration : Math.min(duration, i * step + chunkSec) }));
}

export function cosine(a: number[], b: number[]): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

interface Item { chunk: number; label: string; fp?: number[] }

function clusterByFingerprint(items: Item[], threshold: number): number[][] {
  const clusters: number[][] = items.map((_, i) => [i]);
  const sim = items.map((a) => items.map((b) => (a.fp && b.fp ? cosine(a.fp, b.fp) : -Infinity)));
  for (;;) {
    let best = -Infinity, bi = -1, bj = -1;
    for (let i = 0; i < clusters.length; i++) {
      for (let j = i + 1; j < clusters.length; j++) {
        const chunksI = new Set(clusters[i].map((x) => items[x].chunk));
        if (clusters[j].some((x) => chunksI.has(items[x].chunk))) continue;
        let s = 0;
        for (const x of clusters[i]) for (const y of clusters[j]) s += sim[x][y];
        s /= clusters[i].length * clusters[j].length;
        if (s > best) { best = s; bi = i; bj = j; }
      }
    }
    if (bi < 0 || best < threshold) return clusters;
    clusters[bi].push(...clusters[bj]);
    clusters.splice(bj, 1);
  }
}

const coActive = (a: Turn[], b: Turn[]) => {
  let t = 0;
  for (const x of a) for (const y of b) t += Math.max(0, Math.min(x.end, y.end) - Math.max(x.start, y.start));
  return t;
};

export function stitchChunks(chunks: ChunkDiarization[], o: { threshold?: number } = {}): StitchResult {
  const threshold = o.threshold ?? 0.7;
  const dim = chunks.flatMap((c) => Object.values(c.fingerprints ?? {})).find((f) => f.length > 0)?.length ?? 0;
  const items: Item[] = [];
  chunks.forEach((c, chunk) => {
    for (const label of new Set(c.segments.map((s) => s.speaker))) {
      const fp = c.fingerprints?.[label];
      items.push({ chunk, label, fp: fp && fp.length === dim && fp.every(Number.isFinite) ? fp : undefined });
    }
  });
  const withFp = items.map((it, i) => (it.fp ? i : -1)).filter((i) => i >= 0);
  const cluster = new Map<number, number>(); // item → cluster id
  clusterByFingerprint(withFp.map((i) => items[i]), threshold).forEach((members, id) => members.forEach((m) => cluster.set(withFp[m], id)));
  let nextId = cluster.size ? Math.max(...cluster.values()) + 1 : 0;
  const key = (chunk: number, label: string) => items.findIndex((it) => it.chunk === chunk && it.label === label);
  const shifted = (c: ChunkDiarization) => c.segments.map((s) => ({ start: s.start + c.offset, end: s.end + c.offset, speaker: s.speaker }));
  chunks.forEach((c, k) => {
    const taken = new Set<number>();
    for (const it of items) if (it.chunk === k && cluster.has(items.indexOf(it))) taken.add(cluster.get(items.indexOf(it))!);
    for (const label of new Set(c.segments.map((s) => s.speaker))) {
      const idx = key(k, label);
      if (cluster.has(idx)) continue;
      let id = -1;
      if (k > 0) {
        const prev = chunks[k - 1];
        const region = { start: c.offset, end: prev.offset + prev.duration };
        const clip = (ts: Turn[]) => ts.map((t) => ({ ...t, start: Math.max(t.start, region.start), end: Math.min(t.end, region.end) })).filter((t) => t.end > t.start);
        const mine = clip(shifted(c).filter((s) => s.speaker === label));
        let best = 0;
        for (const p of new Set(prev.segments.map((s) => s.speaker))) {
          const pid = cluster.get(key(k - 1, p));
          if (pid === undefined || taken.has(pid)) continue;
          const t = coActive(mine, clip(shifted(prev).filter((s) => s.speaker === p)));
          if (t > best) { best = t; id = pid; }
        }
      }
      if (id < 0) id = nextId++;
      cluster.set(idx, id);
      taken.add(id);
    }
  });
  // Cut each overlap in its middle: chunk k owns [cut_k, cut_k+1).
  const cuts = chunks.map((c, k) => (k === 0 ? -Infinity : (c.offset + chunks[k - 1].offset + chunks[k - 1].duration) / 2));
  const raw: Array<Turn & { id: number }> = [];
  chunks.forEach((c, k) => {
    const from = cuts[k], to = k + 1 < chunks.length ? cuts[k + 1] : Infinity;
    for (const s of shifted(c)) {
      const start = Math.max(s.start, from), end = Math.min(s.end, to);
      if (end > start) raw.push({ start, end, speaker: s.speaker, id: cluster.get(key(k, s.speaker))! });
    }
  });
  raw.sort((a, b) => a.start - b.start || a.end - b.end);
  // Global names by first appearance, as the diarizer itself orders speakers.
  const names = new Map<number, string>();
  for (const r of raw) if (!names.has(r.id)) names.set(r.id, `Speaker_${names.size}`);
  const turns: Turn[] = [];
  for (const r of raw) {
    const speaker = names.get(r.id)!;
    const joinable = [...turns].reverse().find((t) => t.speaker === speaker && Math.abs(t.end - r.start) < 1e-6);
    if (joinable) joinable.end = Math.max(joinable.end, r.end);
    else turns.push({ start: r.start, end: r.end, speaker });
  }
  const capChunks = chunks.map((c, k) => ((c.speakersDetected ?? new Set(c.segments.map((s) => s.speaker)).size) >= DIARIZER_SPEAKER_CAP ? k : -1)).filter((k) => k >= 0);
  const fingerprints: Record<string, number[]> = {};
  for (const [id, name] of names) {
    const prints = items.filter((it, i) => it.fp && cluster.get(i) === id).map((it) => it.fp!);
    if (prints.length) fingerprints[name] = meanOfUnits(prints);
  }
  return { turns: turns.map((t) => ({ start: +t.start.toFixed(3), end: +t.end.toFixed(3), speaker: t.speaker })), speakers: [...names.values()], capChunks, fingerprints };
}

/** The mean direction of some vectors (each scaled to length 1 first, so a loud chunk does not outweigh a quiet one). */
function meanOfUnits(vs: number[][]): number[] {
  const out = new Array<number>(vs[0].length).fill(0);
  for (const v of vs) {
    const n = Math.sqrt(v.reduce((a, x) => a + x * x, 0)) || 1;
    for (let i = 0; i < v.length; i++) out[i] += v[i] / n / vs.length;
  }
  return out.map((x) => +x.toFixed(6));
}

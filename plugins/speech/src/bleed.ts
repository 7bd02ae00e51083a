import type { Word } from './merge.js';

/** Bleed-duplicate suppression for dual-channel calls (reference/services.md §6). Each channel is transcribed on its
 *  own, so speech leaking from one channel into the other is decoded twice. A word is dropped as such a copy only when
 *  all three agree: the other channel has the same word (normalised text), overlapping it in time by at least
 *  `minOverlapRatio` of its own length, and the other channel is louder over its span by at least `louderDb`. A word
 *  without a textual twin is never dropped, however loud the other side is — that is the quiet local word the
 *  mixed-mono pipeline used to lose. */
export interface BleedThresholds { minOverlapRatio: number; louderDb: number }

/** Levels in dBFS of the local and remote channel over a span of seconds. */
export type SpanLevels = (start: number, end: number) => { local: number; remote: number };

export interface BleedResult<W extends Word> { local: W[]; remote: W[]; suppressedLocal: number; suppressedRemote: number }

export function normaliseText(s: string): string {
  return s.toLowerCase().normalize('NFKC').replace(/[^\p{L}\p{N}]+/gu, '');
}

const POINT_TOLERANCE_S = 0.04;

function overlapRatio(w: Word, other: Word): number {
  const dur = w.end - w.start;
  if (dur <= 0.001) {
    const mid = (w.start + w.end) / 2;
    return mid >= other.start - POINT_TOLERANCE_S && mid <= other.end + POINT_TOLERANCE_S ? 1 : 0;
  }
  return Math.max(0, Math.min(w.end, other.end) - Math.max(w.start, other.start)) / dur;
}

function indexByText<W extends Word>(words: W[]): Map<string, W[]> {
  const m = new Map<string, W[]>();
  for (const w of words) {
    const key = normaliseText(w.word);
    if (!key) continue; // punctuation-only tokens never count as twins
    const list = m.get(key);
    if (list) list.push(w); else m.set(key, [w]);
  }
  return m;
}

const twinsOf = <W extends Word>(w: W, index: Map<string, W[]>, minOverlap: number): W[] =>
  (index.get(normaliseText(w.word)) ?? []).filter((o) => overlapRatio(w, o) >= minOverlap);

export function suppressBleed<W extends Word>(local: W[], remote: W[], levels: SpanLevels, t: BleedThresholds): BleedResult<W> {
  const remoteByText = indexByText(remote);
  const droppedLocal = new Set<W>();
  for (const w of local) {
    if (!twinsOf(w, remoteByText, t.minOverlapRatio).length) continue;
    const l = levels(w.start, w.end);
    if (l.remote - l.local >= t.louderDb) droppedLocal.add(w);
  }
  const keptLocal = local.filter((w) => !droppedLocal.has(w));
  // The reverse direction (the local voice leaking into the remote mic): only against local words still kept, so the
  // two copies of one word can never both be dropped.
  const localByText = indexByText(keptLocal);
  let suppressedRemote = 0;
  const keptRemote = remote.filter((w) => {
    if (!twinsOf(w, localByText, t.minOverlapRatio).length) return true;
    const l = levels(w.start, w.end);
    if (l.local - l.remote >= t.louderDb) { suppressedRemote++; return false; }
    return true;
  });
  return { local: keptLocal, remote: keptRemote, suppressedLocal: droppedLocal.size, suppressedRemote };
}

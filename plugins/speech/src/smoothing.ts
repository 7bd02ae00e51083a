import type { SpeakerWord, Turn } from './merge.js';

/** 3-word majority smoothing (reference/services.md §6 step 3): a word that sits where the diarizer has two speakers
 *  talking at once is a near coin-flip for max-overlap; when both neighbours belong to one of those speakers, that
 *  speaker is the better bet. Only ambiguous words change (runner-up overlap ≥ `ambiguity` × best), and neighbours
 *  further than `maxGapS` away do not vote. */
export function smoothOverlaps<W extends SpeakerWord>(words: W[], turns: Turn[], o: { ambiguity?: number; maxGapS?: number } = {}): { words: W[]; smoothed: number } {
  const ambiguity = o.ambiguity ?? 0.5;
  const maxGap = o.maxGapS ?? 1.5;
  let smoothed = 0;
  const out = words.map((w, i) => {
    if (w.end - w.start <= 0.001 || i === 0 || i === words.length - 1) return w;
    const prev = words[i - 1], next = words[i + 1];
    if (!prev.speaker || prev.speaker !== next.speaker || prev.speaker === w.speaker) return w;
    if (w.start - prev.end > maxGap || next.start - w.end > maxGap) return w;
    const totals = new Map<string, number>();
    for (const t of turns) {
      const inter = Math.min(w.end, t.end) - Math.max(w.start, t.start);
      if (inter > 0) totals.set(t.speaker, (totals.get(t.speaker) ?? 0) + inter);
    }
    const ranked = [...totals.values()].sort((a, b) => b - a);
    if (ranked.length < 2 || ranked[1] < ambiguity * ranked[0] || !totals.has(prev.speaker)) return w;
    smoothed++;
    return { ...w, speaker: prev.speaker };
  });
  return { words: out, smoothed };
}

/** Word → speaker merge (reference/services.md §6): max overlap; zero-length tokens by midpoint ±40 ms; nearest turn
 *  within 0.5 s; otherwise unassigned (counted). Blocks split on a speaker change or a gap over 1.5 s. */
export interface Word { word: string; start: number; end: number }
export interface Turn { start: number; end: number; speaker: string }
export interface SpeakerWord extends Word { speaker: string | null }
export interface Block { start_ms: number; end_ms: number; speaker: string; text: string; words?: SpeakerWord[] }

const PUNCT = /^[.,!?;:%)\]}'"’”…]+$/;

/** Upstream words carry no leading spaces. When the server sends SentencePiece pieces (a leading `▁` starts a word),
 *  pieces without it continue the previous word; punctuation sticks to the previous word; empty tokens go. */
export function normaliseWords(tokens: Word[]): Word[] {
  const out: Word[] = [];
  const pieces = tokens.some((t) => (t.word ?? '').startsWith('▁'));
  for (const t of tokens) {
    const raw = t.word ?? '';
    const text = raw.replace(/^▁/, '').trim();
    if (!text) continue;
    const continues = pieces && !raw.startsWith('▁') && out.length > 0;
    if ((PUNCT.test(text) || continues) && out.length) {
      const prev = out[out.length - 1];
      prev.word += text;
      prev.end = Math.max(prev.end, t.end);
    } else {
      out.push({ word: text, start: t.start, end: t.end });
    }
  }
  return out;
}

export function joinWords(words: Word[]): string {
  return words.map((w) => w.word).join(' ');
}

export interface MergeOptions { pointToleranceS?: number; nearestWithinS?: number; blockGapS?: number }

export function assignSpeakers(words: Word[], turns: Turn[], o: MergeOptions = {}): { words: SpeakerWord[]; unassigned: number } {
  const tol = o.pointToleranceS ?? 0.04;
  const near = o.nearestWithinS ?? 0.5;
  let unassigned = 0;
  const out = words.map((w) => {
    const dur = w.end - w.start;
    const totals = new Map<string, number>();
    if (dur > 0.001) {
      for (const t of turns) {
        const inter = Math.min(w.end, t.end) - Math.max(w.start, t.start);
        if (inter > 0) totals.set(t.speaker, (totals.get(t.speaker) ?? 0) + inter);
      }
    } else {
      const mid = (w.start + w.end) / 2;
      for (const t of turns) if (mid >= t.start - tol && mid <= t.end + tol) totals.set(t.speaker, (totals.get(t.speaker) ?? 0) + 1);
    }
    let speaker: string | null = null;
    if (totals.size) speaker = [...totals].sort((a, b) => b[1] - a[1])[0][0];
    else {
      let best = Infinity;
      for (const t of turns) {
        const d = w.end < t.start ? t.start - w.end : w.start > t.end ? w.start - t.end : 0;
        if (d < best && d <= near) { best = d; speaker = t.speaker; }
      }
    }
    if (speaker === null) unassigned++;
    return { ...w, speaker };
  });
  return { words: out, unassigned };
}

export function toBlocks(words: SpeakerWord[], o: MergeOptions = {}): Block[] {
  const gap = o.blockGapS ?? 1.5;
  const blocks: Array<Block & { words: SpeakerWord[] }> = [];
  for (const w of words) {
    const speaker = w.speaker ?? 'unknown';
    const last = blocks[blocks.length - 1];
    if (last && last.speaker === speaker && w.start - last.end_ms / 1000 <= gap) {
      last.words.push(w);
      last.end_ms = Math.round(w.end * 1000);
    } else {
      blocks.push({ start_ms: Math.round(w.start * 1000), end_ms: Math.round(w.end * 1000), speaker, text: '', words: [w] });
    }
  }
  return blocks.map((b) => ({ ...b, text: joinWords(b.words) }));
}

/** Word diarization error rate: share of reference words whose hypothesis speaker differs after the best one-to-one
 *  mapping of labels (greedy on co-occurrence counts, enough for ≤ 4 speakers). */
export function wder(ref: Array<{ speaker: string }>, hyp: Array<{ speaker: string | null }>): number {
  const counts = new Map<string, Map<string, number>>();
  ref.forEach((r, i) => {
    const h = hyp[i]?.speaker ?? '∅';
    const m = counts.get(h) ?? new Map<string, number>();
    m.set(r.speaker, (m.get(r.speaker) ?? 0) + 1);
    counts.set(h, m);
  });
  const pairs = [...counts].flatMap(([h, m]) => [...m].map(([r, n]) => ({ h, r, n }))).sort((a, b) => b.n - a.n);
  const usedH = new Set<string>(); const usedR = new Set<string>();
  let correct = 0;
  for (const p of pairs) {
    if (p.h === '∅' || usedH.has(p.h) || usedR.has(p.r)) continue;
    usedH.add(p.h); usedR.add(p.r); correct += p.n;
  }
  return ref.length ? 1 - correct / ref.length : 0;
}

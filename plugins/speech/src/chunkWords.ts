import { normaliseText } from './bleed.js';
import type { Word } from './merge.js';

/** Joins the words of overlapping ASR chunks into one stream. Each overlap is cut in its middle, far from both chunk
 *  edges, where the recogniser had context on both sides. A word right at the cut may be timed a few ms apart by the
 *  two chunks, so each chunk contributes words up to `slack` past its cut, and a word whose twin (same text,
 *  overlapping time) is already taken from the previous chunk is skipped: kept once, never lost. */
export interface ChunkWords { offset: number; duration: number; words: Word[] }

const SLACK_S = 0.25;

export function mergeChunkWords(chunks: ChunkWords[]): Word[] {
  const cuts = chunks.map((c, k) => (k === 0 ? -Infinity : (c.offset + chunks[k - 1].offset + chunks[k - 1].duration) / 2));
  const out: Word[] = [];
  const hasTwin = (g: Word) => {
    const key = normaliseText(g.word);
    for (let i = out.length - 1; i >= 0 && out[i].end > g.start - 5; i--) {
      const o = out[i];
      if (Math.min(o.end, g.end) > Math.max(o.start, g.start) - 0.04 && normaliseText(o.word) === key) return true;
    }
    return false;
  };
  chunks.forEach((c, k) => {
    const from = cuts[k] - SLACK_S, to = k + 1 < chunks.length ? cuts[k + 1] + SLACK_S : Infinity;
    for (const w of c.words) {
      const g = { word: w.word, start: +(w.start + c.offset).toFixed(3), end: +(w.end + c.offset).toFixed(3) };
      const mid = (g.start + g.end) / 2;
      if (mid < from || mid >= to || (k > 0 && mid < cuts[k] + SLACK_S && hasTwin(g))) continue;
      out.push(g);
    }
  });
  return out.sort((a, b) => a.start - b.start || a.end - b.end);
}

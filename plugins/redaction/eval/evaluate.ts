import { detectTier1, detectTier2, resolveOverlaps, type DetectOptions } from '../src/detect.js';
import type { Sample } from './corpus.js';
import { caught } from './coverage.js';

/** Connector words inside names ("Kub, Nader and Ziemann") that carry no identity on their own. */
const FILLER = new Set(['and', 'of', 'the', '&', 'und', 'de', 'van', 'von']);

export interface Scores { precision: number; recall: number; f2: number; perKind: Record<string, { recall: number; n: number }>; tier1Recall: number; samples: number; entities: number }

/** Leak-oriented scoring: an entity is caught when every letter and digit of its identifying words is inside some
 *  detected span (of any kind — a name redacted as an org does not leak). Precision counts detected spans that touch
 *  no true entity as false positives. */
export function evaluate(samples: Sample[], o: DetectOptions = {}): Scores {
  let tp = 0, fn = 0, fpSpans = 0, tpSpans = 0;
  const per: Record<string, { hit: number; n: number }> = {};
  let t1hit = 0, t1n = 0;
  for (const s of samples) {
    const spans = resolveOverlaps([...detectTier1(s.text, o), ...detectTier2(s.text, o)]);
    const covered = new Uint8Array(s.text.length);
    for (const sp of spans) covered.fill(1, sp.start, sp.end);
    for (const e of s.entities) {
      const ok = caught(s.text, covered, e, FILLER);
      (per[e.kind] ??= { hit: 0, n: 0 }).n++;
      if (ok) { tp++; per[e.kind].hit++; } else fn++;
      if (e.tier === 1) { t1n++; if (ok) t1hit++; }
    }
    for (const sp of spans) {
      if (s.entities.some((e) => sp.start < e.end && e.start < sp.end)) tpSpans++;
      else fpSpans++;
    }
  }
  const recall = tp / Math.max(1, tp + fn);
  const precision = tpSpans / Math.max(1, tpSpans + fpSpans);
  const f2 = (5 * precision * recall) / Math.max(1e-9, 4 * precision + recall);
  const perKind = Object.fromEntries(Object.entries(per).map(([k, v]) => [k, { recall: Math.round((v.hit / v.n) * 1000) / 1000, n: v.n }]));
  return { precision, recall, f2, perKind, tier1Recall: t1hit / Math.max(1, t1n), samples: samples.length, entities: tp + fn };
}

import type { Span } from '../src/detect.js';
import { resolveSpans } from '../src/pipeline.js';
import { caught } from './coverage.js';
import type { Sample } from './corpus.js';
import { TIER1_CLASSES } from './real.js';

/** Words inside names that identify nobody on their own ("van der", "bin", "Ní", "and"): a leak of only these is no leak. */
const FILLER = new Set(['and', 'of', 'the', '&', 'und', 'de', 'van', 'von', 'der', 'den', 'da', 'di', 'du', 'dos', 'das', 'do', 'le', 'la', 'y',
  'bin', 'binti', 'bint', 'ibn', 'al', 'el', 'ní', 'nic', 'ap', 'mac', 'mc', 'ó', 'o', 'at', 'flat', 'unit', 'apartment', 'jr']);

export interface ClassScore { n: number; hit: number; recall: number; fp: number; precision: number }
export interface RealScores {
  items: number;
  tier1: { n: number; hit: number; recall: number };
  tier2: { n: number; hit: number; recall: number; precision: number; spans: number; fp: number };
  perClass: Record<string, ClassScore>;
  /** Values that leaked, for the tuning report (never printed for the held-out half by the CI test). */
  misses: Array<{ id: string; kind: string; value: string }>;
  falsePositives: Array<{ id: string; kind: string; value: string }>;
}

/** What a detected kind counts as when it touches no gold value (for per-class precision). */
const CLASS_OF: Record<string, string> = { FUND: 'ORG', IP: 'ID', URL: 'ID', DOB: 'DATE_OF_BIRTH' };

/** Leak-oriented scoring on the hand-written set. A gold value is caught when every letter and digit of its
 *  identifying words lies inside some detected span, of any kind (a name redacted as an org does not leak).
 *  Precision: a detected span that touches no gold value is a false positive. */
export function scoreReal(samples: Array<Sample & { id?: string }>, detect: (text: string) => Span[]): RealScores {
  const per: Record<string, ClassScore> = {};
  const cls = (k: string) => (per[k] ??= { n: 0, hit: 0, recall: 0, fp: 0, precision: 0 });
  const tp2Spans: Record<string, number> = {};
  let t1n = 0, t1hit = 0, t2n = 0, t2hit = 0, spans2 = 0, fp2 = 0;
  const misses: RealScores['misses'] = [];
  const falsePositives: RealScores['falsePositives'] = [];
  for (const s of samples) {
    const spans = resolveSpans([], detect(s.text)); // overlapping spans merge, as in the pipeline
    const covered = new Uint8Array(s.text.length);
    for (const sp of spans) covered.fill(1, sp.start, sp.end);
    for (const e of s.entities) {
      const ok = caught(s.text, covered, e, FILLER);
      const c = cls(e.kind);
      c.n++;
      if (ok) c.hit++;
      else misses.push({ id: s.id ?? '', kind: e.kind, value: s.text.slice(e.start, e.end) });
      if (TIER1_CLASSES.has(e.kind)) { t1n++; if (ok) t1hit++; } else { t2n++; if (ok) t2hit++; }
    }
    for (const sp of spans) {
      if (sp.tier === 1) continue;
      spans2++;
      const touched = s.entities.find((e) => sp.start < e.end && e.start < sp.end);
      if (touched) { tp2Spans[touched.kind] = (tp2Spans[touched.kind] ?? 0) + 1; continue; }
      fp2++;
      const k = CLASS_OF[sp.kind] ?? sp.kind;
      cls(k).fp++;
      falsePositives.push({ id: s.id ?? '', kind: sp.kind, value: s.text.slice(sp.start, sp.end) });
    }
  }
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  for (const [k, c] of Object.entries(per)) {
    c.recall = r3(c.hit / Math.max(1, c.n));
    const tp = tp2Spans[k] ?? 0;
    c.precision = r3(tp / Math.max(1, tp + c.fp));
  }
  return {
    items: samples.length,
    tier1: { n: t1n, hit: t1hit, recall: r3(t1hit / Math.max(1, t1n)) },
    tier2: { n: t2n, hit: t2hit, recall: r3(t2hit / Math.max(1, t2n)), precision: r3((spans2 - fp2) / Math.max(1, spans2)), spans: spans2, fp: fp2 },
    perClass: per,
    misses,
    falsePositives,
  };
}

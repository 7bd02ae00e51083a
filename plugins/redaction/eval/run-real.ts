/** The hand-written set, HELD-OUT half: each layer alone and together, the NLP libraries against the hand-written
 *  rules (recall and latency), per class. `npm run eval:redaction` prints it after the faker figures. */
import { detectTier1, type Span } from '../src/detect.js';
import { detectPipeline, type Layer } from '../src/pipeline.js';
import { compromiseLayer, winkLayer } from './libraries.js';
import { generate } from './corpus.js';
import { realHalf } from './real.js';
import { scoreReal } from './score.js';

const held = realHalf('heldout');
const bytes = held.reduce((n, s) => n + Buffer.byteLength(s.text), 0);
console.log(`\nHand-written set, HELD-OUT half: ${held.length} items in ${new Set(held.map((s) => s.doc)).size} documents, ${bytes} bytes`);

function timed(detect: (t: string) => Span[]) {
  for (const s of held.slice(0, 20)) detect(s.text); // warm up (lexicons load on first use)
  const t0 = performance.now();
  const score = scoreReal(held, detect);
  return { score, msPerItem: (performance.now() - t0) / held.length };
}
const row = (name: string, r: ReturnType<typeof timed>) => ({
  layers: name, 'tier-1 recall': r.score.tier1.recall, 'tier-2 recall': r.score.tier2.recall, 'tier-2 precision': r.score.tier2.precision,
  PERSON: r.score.perClass.PERSON?.recall, ORG: r.score.perClass.ORG?.recall, LOCATION: r.score.perClass.LOCATION?.recall, ADDRESS: r.score.perClass.ADDRESS?.recall,
  PHONE: r.score.perClass.PHONE?.recall, 'ms/item': +r.msPerItem.toFixed(2),
});
const only = (...l: Layer[]) => (t: string) => detectPipeline(t, { layers: new Set(l) });
const rows = [
  row('rules (detect.ts, before this change)', timed(only('rules'))),
  row('structured alone', timed(only('structured'))),
  row('names alone', timed(only('names'))),
  row('rules + structured', timed(only('rules', 'structured'))),
  row('rules + names', timed(only('rules', 'names'))),
  row('all rule layers (shipped)', timed(only('rules', 'structured', 'names'))),
];
const cmp = compromiseLayer();
rows.push(row('compromise alone (+ tier-1)', timed((t) => [...detectTier1(t), ...cmp(t)])));
rows.push(row('rules + structured + compromise', timed((t) => [...detectPipeline(t, { layers: new Set(['rules', 'structured']) }), ...cmp(t)])));
rows.push(row('shipped + compromise', timed((t) => [...detectPipeline(t), ...cmp(t)])));
const wink = winkLayer();
if (wink) rows.push(row('wink-nlp lite alone (+ tier-1)', timed((t) => [...detectTier1(t), ...wink(t)])));
else console.log('(wink-nlp / wink-eng-lite-web-model not installed: `npm i --no-save wink-nlp wink-eng-lite-web-model` to measure it)');
console.table(rows);

const shipped = scoreReal(held, (t) => detectPipeline(t));
console.log('\nShipped pipeline (rules + structured + names), per class on the held-out half (precision: spans of that kind touching no gold value):');
console.table(Object.fromEntries(Object.entries(shipped.perClass).map(([k, v]) => [k, { n: v.n, recall: v.recall, ...(v.fp || v.n ? { 'false positives': v.fp } : {}) }])));
console.log(`tier-1 recall ${shipped.tier1.recall} (${shipped.tier1.hit}/${shipped.tier1.n}); tier-2 recall ${shipped.tier2.recall} (${shipped.tier2.hit}/${shipped.tier2.n}), precision ${shipped.tier2.precision} (${shipped.tier2.fp} of ${shipped.tier2.spans} spans touch no gold value)`);

// The faker set stays a separate, second figure (same scorer, its own held-out templates).
const faker = generate(97, 40, 'heldout');
console.log('\nFaker template set, held-out templates (second figure, same scorer):');
console.table([['rules (before)', only('rules')], ['shipped pipeline', (t: string) => detectPipeline(t)]].map(([name, f]) => {
  const s = scoreReal(faker, f as (t: string) => Span[]);
  return { layers: name as string, items: s.items, 'tier-1 recall': s.tier1.recall, 'tier-2 recall': s.tier2.recall, 'tier-2 precision': s.tier2.precision };
}));

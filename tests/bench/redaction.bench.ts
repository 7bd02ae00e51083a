/** Redaction benchmark: /scrub latency per item (p50/p99) for 1 KB and 32 KB items of hand-written text, and the
 *  detection step alone before this pipeline (detect.ts rules only) and after (rules + structured + names layers);
 *  then the new layers on 160 kB adversarial runs (they must stay linear). */
import 'reflect-metadata';
import { createTestKernel } from '../../core/src/testing/createTestKernel.js';
import { realHalf } from '../../plugins/redaction/eval/real.js';
import { detectTier1, detectTier2, resolveOverlaps } from '../../plugins/redaction/src/detect.js';
import { detectNames } from '../../plugins/redaction/src/layers/names.js';
import { detectOrgs } from '../../plugins/redaction/src/layers/orgs.js';
import { detectStructured } from '../../plugins/redaction/src/layers/structured.js';
import { detectPipeline } from '../../plugins/redaction/src/pipeline.js';

const texts = realHalf('all').map((s) => s.text);
function item(bytes: number, offset: number): string {
  let s = '';
  for (let i = offset; Buffer.byteLength(s) < bytes; i++) s += texts[i % texts.length] + '\n\n';
  return s.slice(0, bytes);
}
const pct = (a: number[], p: number) => a.slice().sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * p))];
const fmt = (a: number[]) => `p50 ${pct(a, 0.5).toFixed(2)} ms, p99 ${pct(a, 0.99).toFixed(2)} ms`;

const before = (t: string) => resolveOverlaps([...detectTier1(t), ...detectTier2(t)]);
const after = (t: string) => detectPipeline(t);
after('warm up the lexicons');

const rows: Array<Record<string, string>> = [];
for (const [size, n] of [[1024, 300], [32 * 1024, 40]] as const) {
  const items = Array.from({ length: n }, (_, i) => item(size, i * 7));
  for (const [name, f] of [['before (rules)', before], ['after (pipeline)', after]] as const) {
    const ms = items.map((t) => { const t0 = performance.now(); f(t); return performance.now() - t0; });
    rows.push({ size: `${size / 1024} KB`, step: `detection ${name}`, latency: fmt(ms) });
  }
}

const k = await createTestKernel({ plugins: ['redaction'], simulate: false });
try {
  for (const [size, n] of [[1024, 200], [32 * 1024, 30]] as const) {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const body = JSON.stringify({ items: [{ id: 'a', text: item(size, i * 5) }], tier1_action: 'drop', ner: 'rules_only' });
      const t0 = performance.now();
      const r = await k.fetch('/scrub', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await r.text();
      if (r.status !== 200) throw new Error(`/scrub answered ${r.status}`);
      ms.push(performance.now() - t0);
    }
    rows.push({ size: `${size / 1024} KB`, step: 'POST /scrub (after), one item per request', latency: fmt(ms) });
  }
} finally {
  await k.stop();
}
console.table(rows);

for (const [name, text] of [['letters', 'a'.repeat(160_000)], ['capitalised words', 'Anna '.repeat(32_000)], ['digits and spaces', '1 '.repeat(80_000)]] as const) {
  const t0 = performance.now();
  detectStructured(text); detectNames(text); detectOrgs(text);
  console.log(`160 kB run of ${name}: new layers ${(performance.now() - t0).toFixed(0)} ms`);
}

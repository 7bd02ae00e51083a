/** `npm run eval:redaction -- --llm`: the LLM layer (ner.ts) on the HELD-OUT half of the hand-written set, against the
 *  simulator's model. A test kernel with vLLM and redaction is started on the simulated cluster (spark-1 serving
 *  qwen3-4b); each item's tier-1 values are masked exactly as ner.ts masks them, the same prompt goes to the model
 *  through the kernel's OpenAI route, and its answer is parsed the same way. The simulator's NER is a capitalised-run
 *  heuristic of its own (plugins/vllm/sim/fakeNer.ts): it reads neither the gold files nor this plugin's rules, so
 *  the figures say what such a weak model adds, no more. On a real Spark, see README.md. */
import 'reflect-metadata';
import { z } from 'zod';
import { createTestKernel } from '@spark-control/plugin-api/testing';
import type { Span } from '../src/detect.js';
import { maskTier1, nerRequest, spansFromAnswer } from '../src/ner.js';
import { detectPipeline } from '../src/pipeline.js';
import { realHalf } from './real.js';
import { scoreReal, type RealScores } from './score.js';

const held = realHalf('heldout');
const pct = (a: number[], p: number) => a.slice().sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * p))];

// Nothing is served at first: the first NER request names a catalog model, which loads on request.
const k = await createTestKernel({ plugins: ['vllm', 'redaction'], logLevel: 'error' });
const llm = new Map<string, Span[]>();
const ms: number[] = [];
try {
  const deadline = Date.now() + 60_000;
  let model: string | undefined;
  while (!model && Date.now() < deadline) {
    const r = await k.fetch('/v1/models').catch(() => undefined);
    if (r?.ok) model = z.object({ data: z.array(z.object({ id: z.string() })).min(1) }).parse(await r.json()).data[0].id;
    else await new Promise((res) => setTimeout(res, 500));
  }
  if (!model) throw new Error('the simulated model did not come up within 60 s');
  for (const s of held) {
    const masked = maskTier1(s.text);
    const t0 = performance.now();
    const r = await k.fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(nerRequest(model, masked)), signal: AbortSignal.timeout(30_000) });
    if (!r.ok) throw new Error(`the model answered ${r.status}`);
    const body = z.object({ choices: z.array(z.object({ message: z.object({ content: z.string() }) })).min(1) }).parse(await r.json());
    llm.set(s.text, spansFromAnswer(masked, body.choices[0].message.content));
    ms.push(performance.now() - t0);
  }
} finally {
  await k.stop();
}

const llmOf = (t: string) => llm.get(t) ?? [];
const row = (name: string, s: RealScores) => ({
  layers: name, 'tier-1 recall': s.tier1.recall, 'tier-2 recall': s.tier2.recall, 'tier-2 precision': s.tier2.precision,
  PERSON: s.perClass.PERSON?.recall, ORG: s.perClass.ORG?.recall, LOCATION: s.perClass.LOCATION?.recall, ADDRESS: s.perClass.ADDRESS?.recall, PHONE: s.perClass.PHONE?.recall,
});
const alone = scoreReal(held, (t) => detectPipeline(t, { layers: new Set(['llm']), extra: llmOf(t) }));
const rules = scoreReal(held, (t) => detectPipeline(t, { layers: new Set(['rules', 'structured', 'names']) }));
const all = scoreReal(held, (t) => detectPipeline(t, { extra: llmOf(t) }));
console.log(`\nLLM layer on the simulator (fake vLLM's own NER heuristic), HELD-OUT half: ${held.length} items`);
console.table([row('LLM alone (simulator)', alone), row('rules + libraries (shipped)', rules), row('rules + libraries + LLM (simulator)', all)]);
console.log('Everything together, per class:');
console.table(Object.fromEntries(Object.entries(all.perClass).map(([c, v]) => [c, { n: v.n, recall: v.recall, 'false positives': v.fp }])));
console.log(`tier-1 recall ${all.tier1.recall} (${all.tier1.hit}/${all.tier1.n}); tier-2 recall ${all.tier2.recall} (${all.tier2.hit}/${all.tier2.n}), precision ${all.tier2.precision} (${all.tier2.fp} of ${all.tier2.spans} spans touch no gold value)`);
console.log(`LLM call per item through the kernel: p50 ${pct(ms, 0.5).toFixed(1)} ms, p99 ${pct(ms, 0.99).toFixed(1)} ms`);

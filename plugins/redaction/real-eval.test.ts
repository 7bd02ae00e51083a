import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import type { PluginContext } from '@spark-control/plugin-api';
import { heldOutDocs, loadReal, parseRealFile, realHalf, TIER1_CLASSES } from './eval/real.js';
import { scoreReal } from './eval/score.js';
import { fold } from './src/fold.js';
import { detectNames } from './src/layers/names.js';
import { detectOrgs } from './src/layers/orgs.js';
import { detectStructured } from './src/layers/structured.js';
import { MapStore } from './src/maps.js';
import { detectPipeline } from './src/pipeline.js';
import { rehydrateText, scrubItems } from './src/scrub.js';

describe('the hand-written evaluation set', () => {
  it('has ≥ 400 items in ≥ 6 genres, and every document in exactly one half of the recorded split', () => {
    const all = loadReal();
    expect(all.length).toBeGreaterThanOrEqual(400);
    expect(new Set(all.map((s) => s.genre)).size).toBeGreaterThanOrEqual(6);
    const docs = new Set(all.map((s) => s.doc));
    const held = heldOutDocs();
    for (const d of held) expect(docs.has(d), d).toBe(true);
    expect(realHalf('tune').length + realHalf('heldout').length).toBe(all.length);
    expect(held.size).toBeGreaterThan(docs.size / 3);
    expect(held.size).toBeLessThan((docs.size * 2) / 3);
  });

  it('refuses a gold value that is not a whole word of its item, naming the document', () => {
    expect(() => parseRealFile('x.txt', '=== d1 chat\nhi Kasia\n@ PERSON Kasa\n')).toThrow(/d1.*"Kasa"/);
    expect(() => parseRealFile('x.txt', '=== d1 chat\nhi Kasiaa\n@ PERSON Kasia\n')).toThrow(/not a whole word/);
    expect(() => parseRealFile('x.txt', '=== d1 chat\nhi Kasia\n@ NAME Kasia\n')).toThrow(/unknown class NAME/);
    const [s] = parseRealFile('x.txt', '=== d1 chat\nKasia said hi to kasia and Kasia\n@ PERSON Kasia\n');
    expect(s.entities.map((e) => e.start)).toEqual([0, 27]);
  });
});

describe('redaction quality on the held-out half (rules and libraries only)', () => {
  it('meets the targets: tier-1 recall 1.0, tier-2 recall ≥ 0.95 with precision ≥ 0.90', () => {
    const s = scoreReal(realHalf('heldout'), (t) => detectPipeline(t));
    expect(s.tier1.n).toBeGreaterThan(10);
    // Kinds only on failure, never the values of the held-out half.
    expect(s.misses.filter((m) => TIER1_CLASSES.has(m.kind)).map((m) => m.kind)).toEqual([]);
    expect(s.tier1.recall).toBe(1);
    expect(s.tier2.recall).toBeGreaterThanOrEqual(0.95);
    expect(s.tier2.precision).toBeGreaterThanOrEqual(0.9);
    for (const k of ['PERSON', 'ORG', 'LOCATION', 'ADDRESS', 'PHONE', 'EMAIL', 'DATE_OF_BIRTH']) expect(s.perClass[k]?.n, k).toBeGreaterThan(5);
  });
});

describe('the new layers stay linear in their input', () => {
  // A quadratic pattern takes minutes on these; a linear one a few hundred milliseconds even on a busy machine.
  it.each([
    ['a run of letters', 'a'.repeat(160_000)],
    ['a run of capitalised words', 'Anna '.repeat(32_000)],
    ['a run of digits and spaces', '1 '.repeat(80_000)],
    ['a run of letters and dots', 'a.'.repeat(80_000)],
  ])('%s (160 kB)', (_name, text) => {
    const t0 = performance.now();
    detectStructured(text);
    detectNames(text);
    detectOrgs(text);
    expect(performance.now() - t0).toBeLessThan(15_000);
  });
});

/** The part of a plugin context MapStore uses: `dataDir` and an in-memory `ctx.store` (what is under test here is the
 *  scrub and rehydrate round trip, not the files). */
function memoryCtx(dataDir: string): Pick<PluginContext, 'store' | 'dataDir'> {
  const files = new Map<string, unknown>();
  return {
    dataDir,
    store: <T>(key: string) => ({
      key, path: join(dataDir, key),
      read: () => files.get(key) as T | undefined,
      write: async (data: T) => { files.set(key, data); },
      remove: async () => { files.delete(key); },
      flush: async () => {},
    }),
  };
}

describe('rehydrate is exact on names from real text', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'redaction-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives a name seen in Title Case and in ALL CAPS the same placeholder, and restores each item byte for byte', async () => {
    const store = new MapStore(memoryCtx(dir), 3600_000);
    const map = store.create();
    const items = [
      { id: 'a', text: 'Hej Åsa, Erik Sjöberg here. Call Åsa Lindqvist on +46 70 123 45 67.' },
      { id: 'b', text: 'Hi Erik, ÅSA LINDQVIST here — Siobhán Ní Bhriain will join.' },
      { id: 'c', text: 'siobhán ní bhriain said Małgorzata Wójcik-Nowak’s flat is at Hauptstraße 17, 80331 München.' },
    ];
    const out = await scrubItems(items, map, store, { tier1Action: 'drop' });
    const ph = (i: number, re: RegExp) => out.items[i].scrubbed_text.match(re)?.[0];
    expect(out.items[0].scrubbed_text).not.toMatch(/Åsa|Lindqvist|Sjöberg|123 45 67/);
    expect(out.items[1].scrubbed_text).not.toMatch(/ÅSA|LINDQVIST|Siobhán|Bhriain/);
    expect(out.items[2].scrubbed_text).not.toMatch(/siobhán|Małgorzata|Wójcik|Hauptstraße|80331/);
    // Same entity, same placeholder, whatever its case or accents.
    expect(ph(1, /\[PERSON_\d+\](?= here)/)).toBe(ph(0, /\[PERSON_\d+\](?= on)/));
    const restored = rehydrateText(out.items.map((x) => x.scrubbed_text).join('\n'), map).text;
    // Each placeholder restores the value it replaced first; a value seen again in another case comes back in the
    // first spelling, so compare with the folded originals, and byte for byte where the spelling did not change.
    expect(fold(restored)).toBe(fold(items.map((x) => x.text).join('\n')));
    expect(restored.split('\n')[0]).toBe(items[0].text);
    expect(Buffer.from(rehydrateText(out.items[2].scrubbed_text, map).text).toString('hex')).toContain(Buffer.from('Małgorzata Wójcik-Nowak’s').toString('hex'));
  });
});

describe('new kinds round-trip', () => {
  it('restores dates of birth, ids, national phone numbers and street addresses exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redaction-'));
    try {
      const store = new MapStore(memoryCtx(dir), 3600_000);
      const map = store.create();
      const text = 'Pt: Ngozi Okafor, DOB 14/03/1947, MRN 00482913, NHS No: 943 476 5919. Lives at Storgata 14, 0184 Oslo; call 912 34 567 or 06 72 44 18 90.';
      const out = await scrubItems([{ id: 'a', text }], map, store, { tier1Action: 'drop' });
      const s = out.items[0].scrubbed_text;
      expect(s).toMatch(/\[DOB_1\]/);
      expect(s).toMatch(/\[ID_1\]/);
      for (const v of ['14/03/1947', '00482913', '943 476 5919', 'Storgata', '0184', '912 34 567', '06 72 44 18 90', 'Ngozi']) expect(s).not.toContain(v);
      const back = rehydrateText(s, map);
      expect(back.text).toBe(text);
      expect(back.unknown).toEqual([]);
      expect(back.replaced).toBe((s.match(/\[[A-Z]+_\d+\]/g) ?? []).length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('leak suite on the hand-written genres (items, stats, errors, logs)', () => {
  let k: TestKernel;
  const logs: string[] = [];
  beforeAll(async () => { k = await createTestKernel({ plugins: ['redaction'], logLevel: 'debug', logSink: (l) => logs.push(l) }); });
  afterAll(async () => { await k?.stop(); });

  it('lets no tier-1 value out and almost no tier-2 value, in any genre', async () => {
    const samples = realHalf('heldout');
    logs.length = 0;
    const r = await k.fetch('/scrub', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: samples.map((s) => ({ id: s.id, text: s.text })), tier1_action: 'drop', ner: 'rules_only' }) });
    expect(r.status).toBe(200);
    const body = await r.json() as { items: Array<{ id: string; scrubbed_text: string }>; stats: unknown };
    const st = await k.fetch('/api/plugins/redaction/stats');
    expect(st.status).toBe(200);
    const stats = await st.text();
    const byId = new Map(body.items.map((i) => [i.id, fold(i.scrubbed_text)]));
    const shared = fold([JSON.stringify(body.stats), stats, logs.join('\n')].join('\n'));
    const leaks: Record<string, number> = {};
    let checked = 0;
    for (const s of samples) {
      for (const e of s.entities) {
        const v = fold(e.value);
        const forms = [v, ...(['PHONE', 'CARD', 'IBAN', 'ACCOUNT', 'SSN', 'ROUTING', 'ID'].includes(e.kind) && e.value.replace(/\D/g, '').length >= 6 ? [e.value.replace(/\D/g, '')] : [])].filter((f) => f.length >= 4);
        for (const f of forms) {
          checked++;
          const out = byId.get(s.id)!;
          if (out.includes(f) || out.replace(/\D/g, '').includes(f.replace(/\D/g, '') || '\u0000') && /^\d+$/.test(f)) leaks[s.genre + ':' + e.kind] = (leaks[s.genre + ':' + e.kind] ?? 0) + 1;
          if (shared.includes(f)) leaks['stats/logs:' + e.kind] = (leaks['stats/logs:' + e.kind] ?? 0) + 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(400);
    expect(new Set(samples.map((s) => s.genre)).size).toBeGreaterThanOrEqual(6);
    expect(Object.keys(leaks).filter((l) => l.startsWith('stats/logs') || TIER1_CLASSES.has(l.split(':')[1]))).toEqual([]);
    const total = Object.values(leaks).reduce((a, b) => a + b, 0);
    expect(total / checked).toBeLessThan(0.05);
  });

  it('answers a bad item in a real-genre batch with a 400 that echoes nothing', async () => {
    const [s] = realHalf('heldout').filter((x) => x.entities.some((e) => e.kind === 'PERSON'));
    const name = s.entities.find((e) => e.kind === 'PERSON')!.value;
    const r = await k.fetch('/scrub', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: [{ id: 'a', text: s.text }, { id: '', text: s.text }] }) });
    expect(r.status).toBe(400);
    expect(await r.text()).not.toContain(name);
    expect(logs.join('\n')).not.toContain(name);
  });
});

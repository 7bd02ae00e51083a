import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { generate } from './eval/corpus.js';
import { evaluate } from './eval/evaluate.js';
import { detectTier1, detectTier2, resolveOverlaps } from './src/detect.js';
import { fold } from './src/fold.js';

let k: TestKernel;
const logs: string[] = [];
beforeAll(async () => {
  k = await createTestKernel({ plugins: ['redaction'], logLevel: 'debug', logSink: (l) => logs.push(l) });
});
afterAll(async () => { await k?.stop(); });

const post = async (path: string, body: unknown) => {
  const r = await k.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.status, text: await r.text() };
};

/** Every form a value could leak in: raw, digits only, lower case, without diacritics, and each name part. */
function leakForms(value: string, kind: string): string[] {
  const forms = new Set([value, value.toLowerCase(), fold(value)]);
  const d = value.replace(/\D/g, '');
  if (['PHONE', 'CARD', 'ACCOUNT', 'SSN', 'ROUTING', 'IBAN'].includes(kind) && d.length >= 6) forms.add(d);
  if (['PERSON', 'ORG', 'FUND', 'LOCATION'].includes(kind)) for (const part of value.split(/[\s,]+/)) if (part.length >= 4 && !/^(and|the|fund|capital|ventures|partners|group|inc|llc|street|road|suite|apt\.?)$/i.test(part)) forms.add(fold(part));
  return [...forms].filter((f) => f.length >= 4);
}

describe('redaction quality (rules only)', () => {
  it('meets the targets on the held-out half: tier-1 recall 1.0, recall ≥ 0.95, F2 ≥ 0.9', () => {
    const s = evaluate(generate(2026, 20, 'heldout'));
    expect(s.tier1Recall).toBe(1);
    expect(s.recall).toBeGreaterThanOrEqual(0.95);
    expect(s.f2).toBeGreaterThanOrEqual(0.9);
  });
});

describe('name and address rules', () => {
  const found = (t: string) => resolveOverlaps([...detectTier1(t), ...detectTier2(t)]).map((s) => t.slice(s.start, s.end));
  it('finds a name someone is addressed by at the start of a sentence, but not an interjection', () => {
    expect(found('Priyanka, could you check the logs?')).toContain('Priyanka');
    expect(found('Thanks. Okay, can you check the logs?')).toEqual([]);
    expect(found('Sorry, could you resend it?')).toEqual([]);
    // Words that merely begin like a title (Dr, Ms, Prof, Rev, Miss) are not names.
    expect(found('Draft the memo. Missing pages follow. Revenue grew.')).toEqual([]);
  });
  it('keeps a given name or surname that is also a word when it stands next to another name, and only then', () => {
    expect(found('The report came from June Okafor.')).toContain('June Okafor');
    expect(found('Escalate it to Tomasz Will.')).toContain('Tomasz Will');
    expect(found('May I send it by June?')).toEqual([]);
  });
  it('finds an acronym company before its suffix, and not an acronym alone', () => {
    expect(found('We signed with ACME Corp. yesterday')).toEqual(['ACME Corp']);
    expect(found('The audit by KPMG LLP starts Monday')).toEqual(['KPMG LLP']);
    expect(found('The API returns JSON over HTTP')).toEqual([]);
  });
  it('reads numbered streets and whole designators, without the sentence\'s full stop', () => {
    expect(found('Ship it to 77 W 42nd Street.')).toEqual(['77 W 42nd Street']);
    expect(found('Our office is at 18 Quarry Plains.')).toEqual(['18 Quarry Plains']);
    expect(found('Drop it at 5 Elm St. after lunch')).toEqual(['5 Elm St.']);
    expect(found('Dr Okafor moved to 9 Harbor Lane')).toEqual(['Dr Okafor', '9 Harbor Lane']);
  });
});

describe('/scrub and /rehydrate', () => {
  it('never lets an original value out, in any field or log line (held-out corpus, tier 1 dropped)', async () => {
    const samples = generate(4242, 4, 'heldout').filter((s) => s.entities.length);
    logs.length = 0;
    const r = await post('/scrub', { task_id: 't-leak', items: samples.map((s, i) => ({ id: `i${i}`, text: s.text })), tier1_action: 'drop', ner: 'rules_only' });
    expect(r.status).toBe(200);
    const body = JSON.parse(r.text);
    const outputs = [JSON.stringify(body.items), JSON.stringify(body.stats), logs.join('\n')];
    let checked = 0;
    const leaks: string[] = [];
    samples.forEach((s) => {
      for (const e of s.entities) {
        for (const form of leakForms(e.value, e.kind)) {
          checked++;
          for (const o of outputs) if (fold(o).includes(fold(form))) leaks.push(`${e.kind}:${form}`);
        }
      }
    });
    expect(checked).toBeGreaterThan(200);
    // Rules miss a few name parts (measured recall < 1): those must be reported honestly, not hidden. Tier-1 never leaks.
    const tier1Leaks = leaks.filter((l) => /^(CARD|IBAN|SSN|ROUTING|ACCOUNT|CRYPTO|SECRET|PASSWORD):/.test(l));
    expect(tier1Leaks).toEqual([]);
    expect(leaks.length / checked).toBeLessThan(0.03);
  });

  it('rejects tier-1 values with a 422 listing kinds only, or drops them', async () => {
    const text = 'Card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32, key sk-abcdefghijklmnopqrstuvwxyz123456.';
    const rej = await post('/scrub', { items: [{ id: 'a', text }], tier1_action: 'reject', ner: 'rules_only' });
    expect(rej.status).toBe(422);
    expect(JSON.parse(rej.text)).toEqual({ error: 'tier1_detected', spans: [{ item: 'a', kinds: expect.arrayContaining(['CARD', 'IBAN', 'SECRET']) }] });
    for (const v of ['4111', 'WEST', 'abcdefghij']) expect(rej.text).not.toContain(v);
    const drop = JSON.parse((await post('/scrub', { items: [{ id: 'a', text }], tier1_action: 'drop', ner: 'rules_only' })).text);
    expect(drop.items[0].scrubbed_text).toBe('Card [REDACTED_CARD], IBAN [REDACTED_IBAN], key [REDACTED_SECRET].');
    expect(drop.stats.tier1_dropped).toBe(3);
  });

  it('flags descriptive phrases that identify someone without naming them, showing placeholders only', async () => {
    const r = JSON.parse((await post('/scrub', {
      items: [{ id: 'a', text: 'We spoke with the CFO of Brightwater Capital about the fund.' }, { id: 'b', text: "Brightwater Capital's founder called; the weather was fine." }, { id: 'c', text: 'Nothing descriptive here.' }],
      known_entities: { orgs: ['Brightwater Capital'] }, ner: 'rules_only',
    })).text);
    expect(r.stats.descriptive_flags).toEqual([
      { item: 'a', span: 'the CFO of [ORG_1]', action: 'flagged' },
      { item: 'b', span: "[ORG_1]'s founder", action: 'flagged' },
    ]);
    expect(JSON.stringify(r.stats)).not.toContain('Brightwater');
  });

  it('matches known entities case- and diacritic-insensitively, with possessives and name parts, stable across items and calls', async () => {
    const first = JSON.parse((await post('/scrub', {
      items: [{ id: '1', text: 'Notes from the call with Zoë Ångström of Nordlicht Fonds.' }, { id: '2', text: "zoe angstrom's view: Ångström wants Nordlicht Fonds to wait." }],
      known_entities: { persons: ['Zoë Ångström'], funds: ['Nordlicht Fonds'] }, ner: 'rules_only',
    })).text);
    expect(first.items[0].scrubbed_text).toBe('Notes from the call with [PERSON_1] of [FUND_1].');
    expect(first.items[1].scrubbed_text).toBe("[PERSON_1]'s view: [PERSON_1] wants [FUND_1] to wait.");
    const again = JSON.parse((await post('/scrub', { items: [{ id: '3', text: 'Zoe and a new person, Carl Benson, met.' }], known_entities: { persons: ['Zoë Ångström'] }, map_handle: first.map_handle, ner: 'rules_only' })).text);
    expect(again.map_handle).toBe(first.map_handle);
    expect(again.items[0].scrubbed_text).toBe('[PERSON_1] and a new person, [PERSON_2], met.');
  });

  it('round-trips through a simulated LLM rewrite that moves, repeats and mangles placeholders', async () => {
    const s = JSON.parse((await post('/scrub', { items: [{ id: 'in', text: 'Ask Maria Gonzalez (maria.gonzalez@example.com, +1 415 555 0123) about the Acme Corp deal in Lisbon.' }], ner: 'rules_only' })).text);
    const t = s.items[0].scrubbed_text as string;
    const ph = (kind: string) => t.match(new RegExp(`\\[${kind}_\\d+\\]`))![0];
    const [p, e, tel, org] = [ph('PERSON'), ph('EMAIL'), ph('PHONE'), ph('ORG')];
    const llm = `Summary: ${org.toLowerCase()} wants a reply. Contact ${p.replace('_', ' ')} via \\${e.replace('_', '\\_').replace(']', '\\]')} or [${tel}]. ${p} confirmed. Also ask [PERSON_9].`;
    const r = JSON.parse((await post('/rehydrate', { task_id: 'x', map_handle: s.map_handle, items: [{ id: 'out', text: llm }] })).text);
    expect(r.items[0].text).toBe('Summary: Acme Corp wants a reply. Contact Maria Gonzalez via maria.gonzalez@example.com or +1 415 555 0123. Maria Gonzalez confirmed. Also ask [PERSON_9].');
    expect(r.items[0].unknown_placeholders).toEqual(['[PERSON_9]']);
    expect(r.items[0].replaced).toBe(5);
  });

  it('keeps maps encrypted at rest and answers map_expired after expiry', async () => {
    const s = JSON.parse((await post('/scrub', { items: [{ id: 'a', text: 'Meet Theodora Vasquez-Lindqvist tomorrow.' }], ner: 'rules_only' })).text);
    const dir = join(k.dataDir, 'plugins-data/redaction/maps');
    const files = readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString('latin1')).join('');
    expect(files).not.toContain('Theodora');
    expect(files).not.toContain(s.map_handle);
    const kk = await createTestKernel({ plugins: ['redaction'], simulate: false, config: { plugins: { redaction: { mapTtlHours: 0.001 } } } });
    try {
      const m = JSON.parse((await (await kk.fetch('/scrub', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: [{ id: 'a', text: 'Call Jane Doe.' }], ner: 'rules_only' }) })).text()));
      await new Promise((r) => setTimeout(r, 3800));
      const late = await kk.fetch('/rehydrate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ map_handle: m.map_handle, items: [{ id: 'a', text: '[PERSON_1]' }] }) });
      expect(late.status).toBe(404);
      expect(await late.json()).toEqual({ error: 'map_expired' });
    } finally {
      await kk.stop();
    }
  });

  it('survives a restart: the map is still there', async () => {
    const kk = await createTestKernel({ plugins: ['redaction'], simulate: false });
    const dataDir = kk.dataDir;
    const m = JSON.parse((await (await kk.fetch('/scrub', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: [{ id: 'a', text: 'Call Jane Doe.' }], ner: 'rules_only' }) })).text()));
    await kk.stop({ keepData: true });
    const k2 = await createTestKernel({ plugins: ['redaction'], simulate: false, dataDir });
    try {
      const r = await (await k2.fetch('/rehydrate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ map_handle: m.map_handle, items: [{ id: 'a', text: 'Hello [PERSON_1]' }] }) })).json();
      expect(r.items[0].text).toBe('Hello Jane Doe');
    } finally {
      await k2.stop();
    }
  });

  it('reads a map file written before ctx.store (encrypted map, no version envelope) and rewrites it versioned', async () => {
    const { createCipheriv, createHash, randomBytes } = await import('node:crypto');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const dataDir = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'spark-redaction-legacy-'));
    const pluginDir = join(dataDir, 'plugins-data/redaction');
    mkdirSync(join(pluginDir, 'maps'), { recursive: true });
    const key = randomBytes(32);
    writeFileSync(join(pluginDir, 'maps.key'), key, { mode: 0o600 });
    const handle = `map_${'L'.repeat(32)}`;
    const legacy = { handle, createdAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 3600_000).toISOString(), values: { '[PERSON_1]': 'Jane Doe' }, index: {}, counters: { PERSON: 1 } };
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([c.update(JSON.stringify(legacy), 'utf8'), c.final()]);
    const file = join(pluginDir, 'maps', createHash('sha256').update(handle).digest('hex') + '.bin');
    writeFileSync(file, Buffer.concat([iv, c.getAuthTag(), body]));
    const kk = await createTestKernel({ plugins: ['redaction'], simulate: false, dataDir });
    try {
      const r = await (await kk.fetch('/rehydrate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ map_handle: handle, items: [{ id: 'a', text: 'Hello [PERSON_1]' }] }) })).json();
      expect(r.items[0].text).toBe('Hello Jane Doe');
      const s = await (await kk.fetch('/scrub', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ map_handle: handle, items: [{ id: 'b', text: 'Call Jane Doe.' }], ner: 'rules_only' }) })).json();
      expect(s.items[0].scrubbed_text).toBe('Call [PERSON_2].'); // numbering goes on from the old map's counters
      const raw = readFileSync(file);
      expect(raw.toString('latin1')).not.toContain('Jane');
      const { createDecipheriv } = await import('node:crypto');
      const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      d.setAuthTag(raw.subarray(12, 28));
      expect(JSON.parse(Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8'))).toMatchObject({ version: 1, data: { handle, values: { '[PERSON_1]': 'Jane Doe' } } });
    } finally {
      await kk.stop();
      (await import('node:fs')).rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('fails closed when LLM NER was asked for and is down', async () => {
    const r = await post('/scrub', { items: [{ id: 'a', text: 'Call Jane Doe.' }], ner: 'qwen' });
    expect(r.status).toBe(422);
    expect(JSON.parse(r.text)).toEqual({ error: 'ner_unavailable' });
    expect(r.text).not.toContain('Jane');
  });

  it('answers bad input with 4xx and never echoes it', async () => {
    const secret = 'Jane Secretperson 4111111111111111';
    const cases: Array<[unknown, number]> = [
      [{ items: [] }, 400],
      [{ items: [{ id: 'a', text: 5 }] }, 400],
      [{ items: [{ id: '', text: secret }] }, 400],
      [{ items: [{ id: 'a', text: secret }], tier1_action: 'maybe' }, 400],
      [{ items: [{ id: 'a', text: secret }], map_handle: 'map_nope' }, 404],
      ['{"items": [', 400],
    ];
    for (const [body, status] of cases) {
      const r = await post('/scrub', body);
      expect(r.status, JSON.stringify(body).slice(0, 60)).toBe(status);
      expect(r.text).not.toContain('Secretperson');
      expect(r.text).not.toContain('4111');
    }
    const big = await k.fetch('/scrub', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: [{ id: 'a', text: 'x'.repeat(10 * 1024 * 1024) }] }) });
    expect(big.status).toBe(413);
    const unknown = await post('/rehydrate', { map_handle: 'map_' + 'a'.repeat(32), items: [{ id: 'a', text: 'x' }] });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.text)).toEqual({ error: 'map_not_found' });
    expect(logs.join('\n')).not.toContain('Secretperson');
  });
});

describe("LLM NER (third tier) through vLLM's chat point", () => {
  it('adds names the rules miss when the model answers, and still fails closed when it does not', async () => {
    const { createServer } = await import('node:http');
    let mode: 'good' | 'garbage' = 'good';
    const llm = createServer((req, res) => {
      let s = '';
      req.on('data', (d) => (s += d)).on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        if (req.url === '/v1/models') return res.end(JSON.stringify({ data: [{ id: 'local-ner' }] }));
        const content = mode === 'good' ? JSON.stringify([{ text: 'honey bear', type: 'PERSON' }, { text: 'blue harbor', type: 'LOCATION' }]) : 'Sure! Here are the names: none';
        res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content } }] }));
      });
    });
    await new Promise<void>((r) => llm.listen(0, '127.0.0.1', () => r()));
    const port = (llm.address() as { port: number }).port;
    // Through vLLM's chat point: the upstream's port is vLLM's own `port` setting (no service map entry needed).
    const kk = await createTestKernel({ plugins: ['vllm', 'redaction'], simulate: false, config: { hosts: [{ id: 'spark-1', name: 'S1', address: '127.0.0.1' }], plugins: { vllm: { port } } } });
    try {
      const scrub = (ner: string) => kk.fetch('/scrub', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: [{ id: 'a', text: 'yesterday honey bear sailed to blue harbor.' }], ner }) });
      const rules = await (await scrub('rules_only')).json();
      expect(rules.items[0].scrubbed_text).toContain('honey bear'); // lower-case names that are also words: the rules alone miss them
      const withLlm = await (await scrub('qwen')).json();
      expect(withLlm.items[0].scrubbed_text).toBe('yesterday [PERSON_1] sailed to [LOCATION_1].');
      mode = 'garbage';
      const closed = await scrub('qwen');
      expect(closed.status).toBe(422);
      expect(await closed.json()).toEqual({ error: 'ner_unavailable' });
      const auto = await (await scrub('auto')).json();
      expect(auto.items[0].scrubbed_text).toContain('honey bear'); // auto falls back to the rules when the model fails
    } finally {
      await kk.stop();
      llm.close();
    }
  });
});

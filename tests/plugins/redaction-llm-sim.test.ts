import 'reflect-metadata';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { startFakeVllm } from '../../plugins/vllm/sim/fakeVllm.js';

/** Redaction's LLM layer against the simulator's model (the fake vLLM's own NER heuristic, plugins/vllm/sim/fakeNer.ts),
 *  reached through vLLM's chat point. A loopback proxy in front of the fake records every body the layer sends. */
let root: string;
let fake: { port: number; close(): Promise<void> };
let proxy: Server;
let k: TestKernel;
const sent: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'redaction-llm-sim-'));
  mkdirSync(join(root, 'state/containers'), { recursive: true });
  const at = new Date(Date.now() - 60_000).toISOString();
  writeFileSync(join(root, 'state/containers/vllm_node.json'), JSON.stringify({ State: { Running: true }, Exec: { cmd: ['bash', '-c', 'vllm serve Qwen/Qwen3-4B-Instruct-2507 --port 8888 --served-model-name qwen3-4b >> /proc/1/fd/1 2>&1'], at, dead: false } }));
  fake = await startFakeVllm(root);
  proxy = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d)).on('end', async () => {
      sent.push(body);
      const r = await fetch(`http://127.0.0.1:${fake.port}${req.url}`, { method: req.method, headers: { 'content-type': 'application/json' }, body: req.method === 'GET' ? undefined : body, signal: AbortSignal.timeout(10_000) });
      res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
      res.end(await r.text());
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  const port = (proxy.address() as { port: number }).port;
  k = await createTestKernel({ plugins: ['vllm', 'redaction'], simulate: false, config: { hosts: [{ id: 'spark-1', name: 'S1', address: '127.0.0.1' }], plugins: { vllm: { port } } } });
});
afterAll(async () => {
  await k?.stop();
  await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
  await fake?.close();
  rmSync(root, { recursive: true, force: true });
});

const scrub = async (items: Array<{ id: string; text: string }>, ner: string) => {
  const r = await k.fetch('/scrub', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items, ner, tier1_action: 'drop' }) });
  expect(r.status).toBe(200);
  return new Map(((await r.json()) as { items: Array<{ id: string; scrubbed_text: string }> }).items.map((i) => [i.id, i.scrubbed_text]));
};

describe('redaction LLM layer on the simulated model', () => {
  it('adds what the fake finds (an organisation without a suffix, a name that is also a word), and no more', async () => {
    const items = [{ id: 'a', text: 'Mona joined Ministry of Health in May. I asked Dawn about it.' }, { id: 'b', text: 'i asked dawn about it.' }];
    const rules = await scrub(items, 'rules_only');
    // The rules alone miss both.
    expect(rules.get('a')).toContain('Ministry of Health');
    expect(rules.get('a')).toContain('Dawn about');
    const llm = await scrub(items, 'qwen');
    expect(llm.get('a')).not.toContain('Ministry of Health');
    expect(llm.get('a')).toMatch(/joined \[ORG_1\] in May\. I asked \[PERSON_\d\] about it\./);
    // In lower case the fake's heuristic sees no name, so nothing is added: it answers from the text, not a key.
    expect(llm.get('b')).toBe('i asked dawn about it.');
  });

  it('never sends a tier-1 value to the model, and still drops it from the result', async () => {
    sent.length = 0;
    const values = ['4111 1111 1111 1111', 'GB82 WEST 1234 5698 7654 32', 'Hunter2Zebra', 'QQ 12 34 56 C'];
    const text = `Card ${values[0]}, IBAN ${values[1]}, password: ${values[2]} and NI number ${values[3]} for Ola Nordmann at Fjord Bank.`;
    const out = await scrub([{ id: 'x', text }], 'qwen');
    const chats = sent.filter((b) => b.includes('"messages"'));
    expect(chats.length).toBe(1);
    for (const v of values) {
      for (const body of sent) {
        expect(body).not.toContain(v);
        expect(body.replace(/\s/g, '')).not.toContain(v.replace(/\s/g, ''));
      }
      expect(out.get('x')).not.toContain(v);
    }
    expect(chats[0]).toContain('Ola Nordmann'); // the rest of the text does reach the model
    expect(out.get('x')).toContain('[REDACTED_CARD]');
    expect(out.get('x')).not.toContain('Ola Nordmann');
  });
});

import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { rehydrateResponse, scrubResponse, statsResponse } from './src/responses.js';

/** The 200 schemas in the API document are the shapes the routes really answer (strict: no field left out), and the
 *  routes' own refusals keep the old `{"error": code}` contract the README promises. */
let k: TestKernel;
beforeAll(async () => { k = await createTestKernel({ plugins: ['redaction'] }); }, 60_000);
afterAll(async () => { await k?.stop(); });
const post = (path: string, body: unknown) => k.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

it('scrub, rehydrate (and the tile twins) answer what the document says; refusals stay {"error": code}', async () => {
  const doc = await (await k.fetch('/api/openapi.json')).json();
  for (const [p, field] of [['/scrub', 'map_handle'], ['/rehydrate', 'items'], ['/api/plugins/redaction/try-rehydrate', 'items']] as const) {
    expect(doc.paths[p].post.responses['200'].content['application/json'].schema.properties, p).toHaveProperty(field);
  }
  const s = await post('/scrub', { items: [{ id: 'a', text: 'Mail anna@example.com please' }], ner: 'rules_only' });
  expect(s.status).toBe(200);
  const scrubbed = scrubResponse.strict().parse(await s.json());
  expect(scrubbed.items[0].scrubbed_text).toBe('Mail [EMAIL_1] please');
  for (const path of ['/rehydrate', '/api/plugins/redaction/try-rehydrate']) {
    const r = await post(path, { map_handle: scrubbed.map_handle, items: [{ id: 'a', text: 'Reply to [EMAIL_1] and [EMAIL_9]' }] });
    expect(r.status, path).toBe(200);
    const back = rehydrateResponse.strict().parse(await r.json());
    expect(back.items[0]).toEqual({ id: 'a', text: 'Reply to anna@example.com and [EMAIL_9]', replaced: 1, unknown_placeholders: ['[EMAIL_9]'] });
  }
  statsResponse.strict().parse(await (await k.fetch('/api/plugins/redaction/stats')).json());
  const missing = await post('/rehydrate', { map_handle: 'map_nope', items: [{ id: 'a', text: 'x' }] });
  expect(missing.status).toBe(404);
  expect(await missing.json()).toEqual({ error: 'map_not_found' });
});

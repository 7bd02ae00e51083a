import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

// Catalog export/import between two installs: what one exports, the other takes; bad files are refused whole.
let a: TestKernel;
let b: TestKernel;
const json = { 'content-type': 'application/json' };
const post = (k: TestKernel, p: string, body: unknown) => k.fetch(`/api/plugins/vllm${p}`, { method: 'POST', headers: json, body: JSON.stringify(body) });
const ids = async (k: TestKernel) => (await (await k.fetch('/api/plugins/vllm/models')).json()).models.filter((m: { source: string }) => m.source === 'user').map((m: { id: string }) => m.id).sort();
const storedFile = (k: TestKernel) => join(k.dataDir, 'plugins-data/vllm/models.json');

const local = { id: 'my-finetune', name: 'My fine-tune', servedName: 'my-finetune', localPath: '/home/models/my-finetune', args: ['--max-model-len', '32768'] };
const hf = { id: 'org-model', name: 'Org model', servedName: 'org/model', repo: 'org/model', tensorParallel: 2 };

beforeAll(async () => {
  [a, b] = await Promise.all([createTestKernel({ plugins: ['vllm'], simulate: false }), createTestKernel({ plugins: ['vllm'], simulate: false })]);
});
afterAll(async () => { await Promise.all([a?.stop(), b?.stop()]); });

describe('vLLM catalog export and import', () => {
  it('exports only user-added models, as a download, and another install imports them', async () => {
    expect((await post(a, '/models', local)).status).toBe(201);
    expect((await post(a, '/models', hf)).status).toBe(201);
    const res = await a.fetch('/api/models/export');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="spark-control-models\.json"/);
    const doc = await res.json();
    expect(doc).toMatchObject({ format: 'spark-control/vllm-models', version: 1 });
    expect(doc.models.map((m: { id: string }) => m.id).sort()).toEqual(['my-finetune', 'org-model']);
    expect(doc.models.find((m: { id: string }) => m.id === 'my-finetune')).toMatchObject({ localPath: local.localPath, args: local.args });

    const preview = await (await post(b, '/models/import', { ...doc, dryRun: true })).json();
    expect(preview).toMatchObject({ dryRun: true, added: ['my-finetune', 'org-model'], updated: [], removed: [] });
    expect(await ids(b)).toEqual([]);
    expect(existsSync(storedFile(b))).toBe(false);

    const done = await post(b, '/models/import', doc);
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ added: ['my-finetune', 'org-model'] });
    expect(await ids(b)).toEqual(['my-finetune', 'org-model']);
    // Same file again changes nothing.
    expect(await (await post(b, '/models/import', doc)).json()).toMatchObject({ added: [], updated: [], unchanged: ['my-finetune', 'org-model'] });
  });

  it('merges by id by default and replaces the whole user catalog when asked', async () => {
    const renamed = { ...hf, name: 'Org model (renamed)' };
    const extra = { id: 'extra', name: 'Extra', servedName: 'extra', repo: 'org/extra' };
    expect(await (await post(b, '/models/import', { models: [renamed, extra] })).json()).toMatchObject({ mode: 'merge', added: ['extra'], updated: ['org-model'], removed: [] });
    expect(await ids(b)).toEqual(['extra', 'my-finetune', 'org-model']);
    expect(await (await post(b, '/models/import', { models: [extra], mode: 'replace' })).json()).toMatchObject({ mode: 'replace', removed: ['my-finetune', 'org-model'], unchanged: ['extra'] });
    expect(await ids(b)).toEqual(['extra']);
    expect(JSON.parse(readFileSync(storedFile(b), 'utf8')).data.map((m: { id: string }) => m.id)).toEqual(['extra']);
  });

  it('refuses a file with any bad entry as a whole, naming the entry and field, and stores nothing of it', async () => {
    const before = readFileSync(storedFile(b), 'utf8');
    const bad: Array<[unknown, string]> = [
      [{ models: [local, { ...hf, localPath: '/x;reboot' }] }, 'models.1.repo'],
      [{ models: [{ ...local, localPath: '/models/../etc' }] }, 'models.0.localPath'],
      [{ models: [{ ...hf, args: ['--max-model-len', '1; rm -rf /'] }] }, 'models.0.args.1'],
      [{ models: [hf, { ...hf, name: 'again' }] }, 'models.1.id'],
      [{ models: [{ ...hf, args: ['--port', '1'] }] }, 'models.0.args'],
      [{ models: 'not a list' }, 'models'],
      [{ format: 'something-else', models: [] }, 'format'],
      [{ version: 2, models: [] }, 'version'],
      [{ models: [hf], mode: 'wipe' }, 'mode'],
      [{ models: Array.from({ length: 501 }, () => hf) }, 'models'],
      [['not', 'an', 'object'], ''],
    ];
    for (const [body, field] of bad) {
      const r = await post(b, '/models/import', body);
      expect(r.status, JSON.stringify(body).slice(0, 120)).toBe(400);
      expect(r.headers.get('content-type')).toMatch(/problem\+json/);
      if (field) expect((await r.json()).errors.map((e: { field: string }) => e.field), JSON.stringify(body).slice(0, 120)).toContain(field);
    }
    const garbage = await b.fetch('/api/plugins/vllm/models/import', { method: 'POST', headers: json, body: '{"models": [' });
    expect(garbage.status).toBe(400);
    expect(readFileSync(storedFile(b), 'utf8')).toBe(before);
  });
});

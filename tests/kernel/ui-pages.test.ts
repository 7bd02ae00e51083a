import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSparkPlugin, type PluginContext, type SparkPlugin } from '../../core/src/api/index.js';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

const plugin = (id: string, register: (ctx: PluginContext<any>) => void): SparkPlugin => defineSparkPlugin({
  manifest: { id, name: id, version: '1.0.0', apiVersion: '^2.1.0' }, configSchema: z.object({}), register,
});

interface PagesBody { pages: Array<{ plugin: string; kind: string; label: string; title: string; others: string }>; sections: Array<{ plugin: string; kind: string; tag: string; moduleUrl: string; order: number }> }

let k: TestKernel | undefined;
afterEach(async () => { await k?.stop(); k = undefined; });
const pagesOf = async (kk: TestKernel) => (await (await kk.fetch('/api/ui/pages')).json()) as PagesBody;
const stateOf = async (kk: TestKernel, id: string) => ((await (await kk.fetch('/api/plugins')).json()) as Array<{ id: string; state: string; error?: { code: string; message: string } }>).find((p) => p.id === id);

describe('page kinds and sections plugins add to the dashboard (API 2.1.0)', () => {
  it('lists the running plugins\' kinds and the sections on them, in order; a section on a kind nobody serves, or hidden, is left out', async () => {
    let hideNotes = false;
    k = await createTestKernel({ simulate: false, plugins: [
      plugin('rigs', (ctx) => {
        ctx.pages.register({ kind: 'rig', label: 'host', title: 'Rig', others: 'Other rigs' });
        ctx.pages.section({ kind: 'rig', tag: 'spark-rigs-parts', module: 'tile.js', order: 20 });
      }),
      plugin('notes', (ctx) => {
        ctx.pages.section({ kind: 'rig', tag: 'spark-notes-on-rig', module: 'ui/notes.js', order: 5, hidden: () => hideNotes });
        ctx.pages.section({ kind: 'nobody', tag: 'spark-notes-lost', module: 'tile.js' });
      }),
    ] });
    const body = await pagesOf(k);
    expect(body.pages).toEqual([{ plugin: 'rigs', kind: 'rig', label: 'host', title: 'Rig', others: 'Other rigs' }]);
    expect(body.sections).toEqual([
      { plugin: 'notes', kind: 'rig', tag: 'spark-notes-on-rig', moduleUrl: '/plugins/notes/ui/ui/notes.js', order: 5 },
      { plugin: 'rigs', kind: 'rig', tag: 'spark-rigs-parts', moduleUrl: '/plugins/rigs/ui/tile.js', order: 20 },
    ]);
    hideNotes = true;
    expect((await pagesOf(k)).sections.map((s) => s.tag)).toEqual(['spark-rigs-parts']);
    // The kind's plugin stopped: its page and every section on it go.
    expect((await k.fetch('/api/plugins/rigs/disable', { method: 'POST' })).status).toBe(200);
    expect(await pagesOf(k)).toEqual({ pages: [], sections: [] });
  });

  it('fails the register of a plugin whose kind, label, text, tag or module is wrong, naming it, and keeps the others', async () => {
    const bad: Array<[string, (ctx: PluginContext<any>) => void, string, RegExp]> = [
      ['kind', (ctx) => ctx.pages.register({ kind: 'Rig Page', label: 'host', title: 'Rig', others: 'Rigs' }), 'SPK_PAGE_KIND', /page kind Rig Page/],
      ['label', (ctx) => ctx.pages.register({ kind: 'rig', label: 'host name', title: 'Rig', others: 'Rigs' }), 'SPK_PAGE_KIND', /page label host name/],
      ['title', (ctx) => ctx.pages.register({ kind: 'rig', label: 'host', title: ' ', others: 'Rigs' }), 'SPK_PAGE_KIND', /page title/],
      ['twice', (ctx) => { ctx.pages.register({ kind: 'rig', label: 'host', title: 'Rig', others: 'Rigs' }); ctx.pages.register({ kind: 'rig', label: 'gpu', title: 'Rig', others: 'Rigs' }); }, 'SPK_PAGE_CONFLICT', /registered twice/],
      ['tag', (ctx) => ctx.pages.section({ kind: 'rig', tag: 'spark-other-parts', module: 'tile.js' }), 'SPK_TILE_TAG', /section tag spark-other-parts must start with spark-tag-/],
      ['module', (ctx) => ctx.pages.section({ kind: 'rig', tag: 'spark-module-parts', module: '../../etc/passwd.js' }), 'SPK_TILE_MODULE', /section module/],
      ['sectionkind', (ctx) => ctx.pages.section({ kind: '', tag: 'spark-sectionkind-parts', module: 'tile.js' }), 'SPK_PAGE_KIND', /section kind/],
    ];
    k = await createTestKernel({ simulate: false, plugins: [...bad.map(([id, reg]) => plugin(id, reg)), plugin('fine', (ctx) => ctx.pages.register({ kind: 'box', label: 'host', title: 'Box', others: 'Boxes' }))] });
    for (const [id, , code, message] of bad) {
      const s = await stateOf(k, id);
      expect(s, id).toMatchObject({ state: 'failed', error: { code } });
      expect(s?.error?.message, id).toMatch(message);
    }
    expect((await pagesOf(k)).pages.map((p) => p.plugin)).toEqual(['fine']);
  });

  it('refuses a second plugin claiming a kind that another one serves', async () => {
    k = await createTestKernel({ simulate: false, plugins: [
      plugin('first', (ctx) => { ctx.pages.register({ kind: 'rig', label: 'host', title: 'Rig', others: 'Rigs' }); ctx.tiles.register({ tag: 'spark-first-tile', module: 'tile.js', title: 'First' }); }),
      plugin('second', (ctx) => ctx.pages.register({ kind: 'rig', label: 'gpu', title: 'GPU rig', others: 'Rigs' })),
    ] });
    expect(await stateOf(k, 'second')).toMatchObject({ state: 'failed', error: { code: 'SPK_PAGE_CONFLICT' } });
    expect((await stateOf(k, 'second'))?.error?.message).toMatch(/page kind rig is already registered by first/);
    expect((await pagesOf(k)).pages).toEqual([{ plugin: 'first', kind: 'rig', label: 'host', title: 'Rig', others: 'Rigs' }]);
  });
});

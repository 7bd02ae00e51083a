import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSparkPlugin, type JsonStore } from '../../core/src/api/index.js';
import { JsonFileStore } from '../../core/src/services/store/JsonStore.js';
import { createTestKernel } from '../../core/src/testing/createTestKernel.js';

const dirs: string[] = [];
const scratch = () => { const d = mkdtempSync(join(tmpdir(), 'spark-store-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

interface V1 { name: string }
interface V2 { names: string[]; renamedAt: string | null }

describe('ctx.store: versioned JSON state', () => {
  it('migrates version 1 data to version 2 once, and writes version 2 from then on', async () => {
    const dir = scratch();
    await new JsonFileStore<V1>(dir, 'people', { version: 1 }).write({ name: 'Ada' });
    expect(JSON.parse(readFileSync(join(dir, 'people.json'), 'utf8'))).toEqual({ version: 1, data: { name: 'Ada' } });

    const seen: number[] = [];
    const migrate = (old: unknown, from: number): V2 => { seen.push(from); return { names: [(old as V1).name], renamedAt: null }; };
    const v2 = new JsonFileStore<V2>(dir, 'people', { version: 2, migrate });
    expect(v2.read()).toEqual({ names: ['Ada'], renamedAt: null });
    expect(seen).toEqual([1]);
    await v2.write({ names: ['Ada', 'Grace'], renamedAt: null });
    expect(JSON.parse(readFileSync(join(dir, 'people.json'), 'utf8'))).toEqual({ version: 2, data: { names: ['Ada', 'Grace'], renamedAt: null } });
    expect(new JsonFileStore<V2>(dir, 'people', { version: 2, migrate }).read()).toEqual({ names: ['Ada', 'Grace'], renamedAt: null });
    expect(seen).toEqual([1]); // not migrated again

    // An older release reading the newer file refuses it instead of misreading it.
    expect(() => new JsonFileStore<V1>(dir, 'people', { version: 1 }).read()).toThrow(expect.objectContaining({ code: 'SPK_STORE_VERSION' }));
  });

  it('reads a plain JSON file written before the store as version 0, and refuses bad keys and broken files by code', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'models.json'), JSON.stringify([{ id: 'a' }]));
    const s = new JsonFileStore<{ id: string }[]>(dir, 'models', { version: 1, migrate: (old, from) => (from === 0 && Array.isArray(old) ? old : []) });
    expect(s.read()).toEqual([{ id: 'a' }]);
    expect(new JsonFileStore(dir, 'absent', { version: 1 }).read()).toBeUndefined();
    expect(() => new JsonFileStore(dir, 'models', { version: 1 }).read()).toThrow(expect.objectContaining({ code: 'SPK_STORE_VERSION' })); // no migrate for 0
    writeFileSync(join(dir, 'broken.json'), '{"version":1,"da');
    expect(() => new JsonFileStore(dir, 'broken', { version: 1 }).read()).toThrow(expect.objectContaining({ code: 'SPK_STORE_UNREADABLE' }));
    for (const key of ['../up', 'a/../b', '/abs', 'UPPER', '', 'a//b', 'x'.repeat(200)]) {
      expect(() => new JsonFileStore(dir, key, { version: 1 }), key).toThrow(expect.objectContaining({ code: 'SPK_STORE_KEY' }));
    }
  });

  it('is ctx.store in a plugin: files in its data dir, writes in call order, flushed when the plugin stops', async () => {
    let store: JsonStore<{ n: number }> | undefined;
    const plugin = defineSparkPlugin({
      manifest: { id: 'counter', name: 'Counter', version: '1.0.0', apiVersion: '^2.0.0' },
      configSchema: z.object({}),
      register(ctx) {
        store = ctx.store<{ n: number }>('state/counter', { version: 1 });
        expect(ctx.store('state/counter', { version: 1 })).toBe(store); // one queue per file
        ctx.routes.add({ method: 'POST', path: '/bump' }, () => {
          const n = (store!.read()?.n ?? 0) + 1;
          for (let i = 1; i <= 20; i++) void store!.write({ n: n * 100 + i });
          return { n };
        });
      },
    });
    const k = await createTestKernel({ simulate: false, plugins: [plugin] });
    try {
      await k.fetch('/api/plugins/counter/bump', { method: 'POST' });
      await store!.flush();
      expect(store!.path).toBe(join(k.dataDir, 'plugins-data/counter/state/counter.json'));
      expect(JSON.parse(readFileSync(store!.path, 'utf8'))).toEqual({ version: 1, data: { n: 120 } });
      await k.fetch('/api/plugins/counter/bump', { method: 'POST' });
    } finally {
      await k.stop({ keepData: true });
    }
    // stop() flushed the queued writes: the last one is on disk.
    expect(JSON.parse(readFileSync(join(k.dataDir, 'plugins-data/counter/state/counter.json'), 'utf8'))).toEqual({ version: 1, data: { n: 121 * 100 + 20 } });
    rmSync(k.dataDir, { recursive: true, force: true });
  });

  it('survives SIGKILL in the middle of a write loop: the file holds the last or the next write, never a mix', async () => {
    const dir = scratch();
    const storeSrc = fileURLToPath(new URL('../../core/src/services/store/JsonStore.ts', import.meta.url));
    const entry = join(dir, 'writer.ts');
    // Writes 1, 2, 3 … as fast as it can (8 MB each: a write takes long enough to be hit), printing each acknowledged seq.
    writeFileSync(entry, `
      import { JsonFileStore } from ${JSON.stringify(storeSrc)};
      const store = new JsonFileStore(process.argv[2], 'loop', { version: 1 });
      const start = store.read()?.seq ?? 0;
      const pad = 'x'.repeat(8 * 1024 * 1024);
      const until = Date.now() + 20_000;
      for (let seq = start + 1; seq < start + 5000 && Date.now() < until; seq++) {
        await store.write({ seq, pad, check: pad.length + seq });
        process.stdout.write(seq + '\\n');
      }
    `);
    const bundle = join(dir, 'writer.mjs');
    await build({ entryPoints: [entry], outfile: bundle, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'silent' });
    const dataDir = join(dir, 'data');
    const reader = new JsonFileStore<{ seq: number; pad: string; check: number }>(dataDir, 'loop', { version: 1 });
    let previous = 0;
    for (let round = 0; round < 8; round++) {
      const acked = await new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, [bundle, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
        let last = 0;
        let err = '';
        // After the first acknowledged write, kill at a random moment of the loop (most of its time is spent writing).
        let timer: NodeJS.Timeout | undefined;
        child.stdout.setEncoding('utf8').on('data', (s: string) => {
          for (const line of s.split('\n')) if (line) last = Number(line);
          timer ??= setTimeout(() => child.kill('SIGKILL'), 20 + Math.random() * 200);
        });
        child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
        child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(last) : reject(new Error(`writer ended with ${code}: ${err}`))));
      });
      const got = reader.read()!;
      expect(got.seq).toBeGreaterThanOrEqual(acked); // an acknowledged write is never lost
      expect(got.seq).toBeLessThanOrEqual(acked + 1); // at most the write in progress, complete
      expect(got.seq).toBeGreaterThan(previous);
      expect(got.check).toBe(got.pad.length + got.seq);
      expect(got.pad.length).toBe(8 * 1024 * 1024);
      previous = got.seq;
    }
  });
});

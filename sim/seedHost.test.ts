import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineSparkPlugin } from '../core/src/api/index.js';
import { createTestKernel, type TestKernel } from '../core/src/testing/createTestKernel.js';
import { z } from 'zod';

const repo = join(import.meta.dirname, '..');
const seen: string[] = [];
const toolDir = mkdtempSync(join(tmpdir(), "spark-seed-tool-"));
const tool = join(toolDir, "it's-a-cli.mjs"); // a quote in the path, as a user's checkout may have
writeFileSync(tool, 'process.stdout.write(`greet ${process.argv.slice(2).join("|")} from ${process.env.SIM_HOST_ID}\\n`);\n');
/** A plugin whose simulator only seeds: a file in the SSH user's home and a running container, on spark-2 only. */
const seeder = defineSparkPlugin({
  manifest: { id: 'seeder', name: 'Seeder', version: '0.0.1', apiVersion: '^2.0.0' },
  configSchema: z.object({}),
  register() {},
  simulators: [{
    service: 'seeder', hostId: 'spark-2',
    seedHost(h) {
      seen.push(`${h.hostId}:${h.hostIds.join(',')}:${h.demo}`);
      h.installTool('greet', tool);
      if (h.hostId !== 'spark-2') return;
      h.addContainer({ name: 'seeded-box', image: 'seeder:1', cmd: ['sleep', 'infinity'], restartPolicy: 'unless-stopped', logLines: ['seeder: ready'] });
      h.addContainer({ name: 'seeded-box', image: 'other:2', cmd: ['true'] }); // a second add keeps the first
    },
  }, {
    service: 'broken', hostId: 'spark-1',
    seedHost() { throw new Error('seeding exploded'); },
  }],
});

let k: TestKernel;
beforeAll(async () => { k = await createTestKernel({ plugins: [seeder] }); });
afterAll(async () => { await k?.stop(); rmSync(toolDir, { recursive: true, force: true }); });
const exec = (host: string, cmd: string) => k.app.services.ssh.exec(host, ['bash', '-c', cmd]);

describe("a plugin's simulator seeds its own files on a simulated Spark", () => {
  it('is called once per host, before anyone connects, with the host list and the demo flag', () => {
    expect(seen).toEqual(['spark-1:spark-1,spark-2:false', 'spark-2:spark-1,spark-2:false']);
  });

  it('leaves a container the fake docker runs, only on the host it chose; one that throws breaks nothing else', async () => {
    const ps = (await exec('spark-2', 'docker ps --format "{{json .}}"')).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(ps.find((c) => c.Names === 'seeded-box')).toMatchObject({ State: 'running', Image: 'seeder:1' });
    expect((await exec('spark-2', 'docker logs seeded-box')).stdout).toContain('seeder: ready');
    expect((await exec('spark-2', 'docker inspect --format "{{json .State}}" seeded-box')).code).toBe(0);
    expect((await exec('spark-1', 'docker inspect --format "{{json .State}}" seeded-box')).code).toBe(1);
    expect(k.kernel.get('seeder')?.state).toBe('running');
  });

  it('installs its fake command on every Spark\'s PATH, arguments passed through as they are', async () => {
    expect((await exec('spark-1', 'greet "a b" \'$HOME\'')).stdout).toBe('greet a b|$HOME from spark-1\n');
    expect((await exec('spark-2', 'command -v greet')).stdout.trim()).toMatch(/\/\.local\/bin\/greet$/);
  });

  it("plants no built-in plugin's files when that plugin is not loaded (the simulator knows no plugin)", async () => {
    const r = await exec('spark-1', 'ls -a ~; ls ~/state/containers 2>/dev/null');
    expect(r.stdout).not.toMatch(/spark-vllm-docker|huggingface|matrix-bot|vllm_node/);
    expect((await exec('spark-1', 'command -v hf || echo none')).stdout.trim()).toBe('none');
  });
});

describe('the boundary between the simulator and the plugins', () => {
  const sources = (dir: string): string[] => readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|mjs)$/.test(n) && !n.endsWith('.test.ts') ? [p] : [];
  });
  const importsOf = (file: string) => [...readFileSync(file, 'utf8').matchAll(/(?:from\s+|import\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);

  it('sim/ imports no plugin', () => {
    const bad = sources(join(repo, 'sim')).flatMap((f) => importsOf(f).filter((i) => i.includes('plugins/')).map((i) => `${relative(repo, f)} → ${i}`));
    expect(bad).toEqual([]);
  });

  it("no plugin's code imports sim/ (its own plugins/<id>/sim/ is its world)", () => {
    const pluginsDir = join(repo, 'plugins');
    const bad = readdirSync(pluginsDir).flatMap((id) => sources(join(pluginsDir, id)).flatMap((f) => importsOf(f)
      .filter((i) => /(^|\/)\.\.\/(\.\.\/)*sim\//.test(i) && !join(f, '..', i).startsWith(join(pluginsDir, id)))
      .map((i) => `${relative(repo, f)} → ${i}`)));
    expect(bad).toEqual([]);
  });
});

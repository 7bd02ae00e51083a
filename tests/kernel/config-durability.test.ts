import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configFileSchema } from '../../core/src/config/schema.js';
import { ConfigService } from '../../core/src/services/config/ConfigService.js';
import { JsonLogger } from '../../core/src/services/logger/Logger.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('config store durability', () => {
  it('a process SIGKILLed at random moments while rewriting config.json always leaves a valid file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spark-cfg-'));
    const writer = join(dir, 'writer.mts');
    // Rewrites the cluster config in a tight loop with large host lists (bigger files widen the crash window).
    writeFileSync(writer, `
      import { ConfigService } from ${JSON.stringify(join(root, 'core/src/services/config/ConfigService.ts'))};
      import { JsonLogger } from ${JSON.stringify(join(root, 'core/src/services/logger/Logger.ts'))};
      const svc = new ConfigService(${JSON.stringify(dir)}, new JsonLogger('silent'));
      let i = 0;
      process.stdout.write('ready\\n');
      for (;;) {
        i++;
        const hosts = Array.from({ length: 30 }, (_, n) => ({ id: 'spark-' + (n + 1), name: 'Spark ' + i + '-' + n + ' '.repeat(40), address: '127.0.0.' + ((n % 250) + 1), sshUser: 'spark', sshPort: 22 }));
        await svc.updateCluster({ hosts, services: {} });
      }
    `);
    let kills = 0;
    for (let round = 0; round < 8; round++) {
      // node itself (not the tsx wrapper script) so that SIGKILL hits the writing process.
      const child = spawn(process.execPath, ['--import', 'tsx', writer], { stdio: ['ignore', 'pipe', 'inherit'], cwd: root });
      await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 150 + Math.floor(Math.random() * 250)));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      kills++;
      const text = readFileSync(join(dir, 'config.json'), 'utf8');
      const parsed = configFileSchema.safeParse(JSON.parse(text));
      expect(parsed.success).toBe(true);
      expect(parsed.data!.hosts).toHaveLength(30);
    }
    expect(kills).toBe(8);
    // Temp files from killed writers are never read as config, and the next start removes them.
    const svc = new ConfigService(dir, new JsonLogger('silent'));
    expect(svc.cluster().hosts).toHaveLength(30);
    expect(readdirSync(dir).filter((f) => f === 'config.json')).toHaveLength(1);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('loads a file with invalid entries by skipping them with a warning, never crashing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spark-cfg-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({
      hosts: [{ id: 'spark-1', name: 'ok', address: '127.0.0.1' }, { id: 'BAD ID', name: 'x', address: 'a;rm -rf /' }],
      services: { vllm: { hostId: 'spark-1', port: 99999 }, parakeet: { hostId: 'spark-1', port: 8000 } },
      auth: { token: 'short' },
      plugins: 'garbage',
    }));
    const lines: string[] = [];
    const svc = new ConfigService(dir, new JsonLogger('warn', {}, (l) => lines.push(l)));
    expect(svc.cluster().hosts.map((h) => h.id)).toEqual(['spark-1']);
    expect(Object.keys(svc.cluster().services)).toEqual(['parakeet']);
    expect(svc.get().auth.token).toBeUndefined();
    expect(lines.some((l) => l.includes('skipping invalid stored host'))).toBe(true);
    expect(lines.join('\n')).not.toContain('rm -rf');
  });

  it('a corrupt (non-JSON) file is moved aside and defaults are used', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spark-cfg-'));
    writeFileSync(join(dir, 'config.json'), '{"hosts": [');
    const svc = new ConfigService(dir, new JsonLogger('silent'));
    expect(svc.cluster().hosts).toEqual([]);
    expect(readdirSync(dir).some((f) => f.startsWith('config.json.unreadable-'))).toBe(true);
  });

  it('concurrent writes of different plugin slices all land in the file (each queued write serialises the state at write time)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spark-cfg-'));
    const svc = new ConfigService(dir, new JsonLogger('silent'));
    const keys = ['alpha', 'bravo', 'charlie', 'delta'];
    let stale = 0;
    for (let round = 0; round < 5; round++) {
      // 60 writes at once, 15 per key; the last one queued for each key is what must be on disk.
      await Promise.all(Array.from({ length: 60 }, (_, i) => svc.setPluginSlice(keys[i % 4], { round, i })));
      const onDisk = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).plugins;
      const reloaded = new ConfigService(dir, new JsonLogger('silent'));
      keys.forEach((k, n) => {
        const want = { round, i: 56 + n };
        if (JSON.stringify(onDisk[k]) !== JSON.stringify(want)) stale++;
        expect(reloaded.pluginRaw(k)).toEqual(want);
        expect(svc.pluginRaw(k)).toEqual(want);
      });
    }
    expect(stale).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a temp file left by a writer killed mid-write is removed at the next start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spark-cfg-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ hosts: [] }));
    const leftover = join(dir, '.config.json.0123456789ab.tmp');
    const unrelated = join(dir, '.other.json.0123456789ab.tmp');
    writeFileSync(leftover, '{"half":');
    writeFileSync(unrelated, 'x');
    new ConfigService(dir, new JsonLogger('silent'));
    expect(existsSync(leftover)).toBe(false);
    expect(existsSync(unrelated)).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('\n!!! SKIPPING disk-full test: mounting a small tmpfs needs root (CI runs as root)\n');

describe.skipIf(!isRoot)('full disk on config write', () => {
  let dir: string;
  let k: TestKernel;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spark-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir]);
    k = await createTestKernel({ simulate: false, dataDir: dir });
  });
  afterAll(async () => {
    await k?.stop({ keepData: true });
    try { execFileSync('umount', [dir]); } catch { /* already gone */ }
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 507 naming the problem, keeps the previous config intact, and works again once space is freed', async () => {
    const put = (name: string) => k.fetch('/api/config/cluster', { method: 'PUT', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hosts: [{ id: 'spark-1', name, address: '127.0.0.1' }] }) });
    expect((await put('Before')).status).toBe(200);
    const before = readFileSync(join(dir, 'config.json'), 'utf8');
    // Fill the disk.
    try { writeFileSync(join(dir, 'filler'), Buffer.alloc(512 * 1024)); } catch { /* ENOSPC expected once full */ }
    const r = await put('After '.repeat(2000).slice(0, 60));
    expect(r.status).toBe(507);
    const body = await r.json();
    expect(body.code).toBe('SPK_CONFIG_DISK_FULL');
    expect(body.detail).toMatch(/disk is full/);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe(before);
    expect(JSON.parse(before).hosts[0].name).toBe('Before');
    // The in-memory config still reflects what is on disk.
    expect((await (await k.fetch('/api/config')).json()).hosts[0].name).toBe('Before');
    rmSync(join(dir, 'filler'));
    expect((await put('Later')).status).toBe(200);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).hosts[0].name).toBe('Later');
  });
});

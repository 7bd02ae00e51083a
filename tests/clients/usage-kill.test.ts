import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openClientsDb } from '../../core/src/services/clients/clientsDb.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SUBJECTS = 4_000;

/** Runs the writer until it has committed a few batches, SIGKILLs it after a random extra delay, and returns the last
 *  batch number it reported as committed. */
async function killMidBurst(dataDir: string): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/clients/fixtures/usage-writer.ts', dataDir, String(SUBJECTS)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let last = 0;
  let buf = '';
  const started = new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) last = Number(l.split(' ')[1]);
      if (last >= 3) resolve();
    });
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await Promise.race([started, new Promise((_, no) => setTimeout(() => no(new Error('writer did not commit 3 batches in 60 s')), 60_000))]);
  await new Promise((r) => setTimeout(r, Math.random() * 150));
  child.kill('SIGKILL');
  await exited;
  return last;
}

describe('usage survives SIGKILL during a burst', () => {
  it('loses at most the batch in flight, never tears one, and the database stays whole (3 kills)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'spark-usage-kill-'));
    try {
      let expected = 0;
      const seen: string[] = [];
      for (let round = 0; round < 3; round++) {
        const reported = await killMidBurst(dataDir);
        const db = new Database(join(dataDir, 'clients.sqlite'));
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        const per = db.prepare("SELECT subject, value FROM usage WHERE counter = 'requests'").all() as Array<{ subject: string; value: number }>;
        db.close();
        // Every subject has the same count: a batch is written whole or not at all.
        expect(per.length).toBe(SUBJECTS);
        const values = new Set(per.map((r) => r.value));
        expect(values.size, [...values].join(',')).toBe(1);
        const committed = [...values][0] - expected;
        // What was reported committed is there; at most the one batch being written when the kill came is extra.
        expect(committed).toBeGreaterThanOrEqual(reported);
        expect(committed).toBeLessThanOrEqual(reported + 1);
        seen.push(`reported ${reported}, found ${committed}`);
        expected += committed;
        // The file opens and migrates again as the product would open it.
        openClientsDb(dataDir).close();
      }
      console.log(`[usage-kill] ${SUBJECTS} counters a batch; ${seen.join('; ')}`);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});

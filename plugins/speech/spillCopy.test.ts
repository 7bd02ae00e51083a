import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SpillingCopy } from './src/spillCopy.js';

const dir = mkdtempSync(join(tmpdir(), 'spill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const chunk = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

describe('SpillingCopy: an upload copy in memory while small, on disk past the limit', () => {
  it('a small copy touches no file until saved; saved, it holds the bytes in order; discarded, it is gone', async () => {
    const path = join(dir, 'small');
    const c = new SpillingCopy(path, 1000);
    const parts = [chunk(300, 1), chunk(300, 2), chunk(300, 3)];
    for (const p of parts) expect(c.write(p)).toBe(true);
    c.end();
    await c.done;
    expect(existsSync(path)).toBe(false);
    await c.save();
    expect(readFileSync(path).equals(Buffer.concat(parts))).toBe(true);
    c.discard();
    expect(existsSync(path)).toBe(false);
  });

  it('past the limit it spills everything so far to the file and goes on writing there', async () => {
    const path = join(dir, 'big');
    const c = new SpillingCopy(path, 1000);
    const parts = [chunk(600, 4), chunk(600, 5), chunk(5000, 6)];
    for (const p of parts) if (!c.write(p)) await new Promise<void>((r) => c.onceDrained(r));
    c.end();
    await c.done;
    expect(statSync(path).size).toBe(6200); // on disk before anyone asked to save it
    await c.save(); // already there: leaves it as it is
    expect(statSync(path).size).toBe(6200);
    expect(readFileSync(path).equals(Buffer.concat(parts))).toBe(true);
    c.discard();
    expect(existsSync(path)).toBe(false);
  });

  it('a destroyed copy settles (nothing waits forever) and discarding a copy that never had a file is harmless', async () => {
    const c = new SpillingCopy(join(dir, 'gone'), 1000);
    c.write(chunk(10, 7));
    c.destroy();
    await c.done;
    c.discard();
    expect(existsSync(join(dir, 'gone'))).toBe(false);
  });
});

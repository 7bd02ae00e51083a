import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSparkControlProcess } from '../helpers/sparkControlProcess.js';

/** What a user sees when `npm start` cannot start: one plain sentence and exit code 1, not a stack trace. */
const root = fileURLToPath(new URL('../..', import.meta.url));
const run = (env: Record<string, string>) => spawnSync(process.execPath, ['--import', 'tsx', 'core/src/main.ts'], {
  cwd: root, encoding: 'utf8', timeout: 45_000,
  env: { ...process.env, SPARK_DATA_DIR: mkdtempSync(join(tmpdir(), 'spark-start-')), SPARK_SIMULATE: '0', SPARK_LOG_LEVEL: 'silent', ...env },
});

let busy: Server;
let busyPort = 0;
beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  busyPort = (busy.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => busy.close(() => r())));

describe('startup errors', () => {
  it('says the port is in use and how to pick another', () => {
    const r = run({ SPARK_PORT: String(busyPort) });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`port ${busyPort} on 127.0.0.1 is already in use`);
    expect(r.stderr).toContain('SPARK_PORT');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }, 60_000);

  it('starts on a data directory that does not exist yet (a fresh checkout has no .data), and makes it owner-only', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'spark-start-'));
    const dataDir = join(parent, 'not', 'yet');
    const p = await startSparkControlProcess({ SPARK_DATA_DIR: dataDir, SPARK_SIM_PRELOAD: '0' });
    try {
      expect((await fetch(`${p.url}/health`)).status).toBe(200);
      expect(statSync(dataDir).isDirectory()).toBe(true);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    } finally {
      await p.stop();
      rmSync(parent, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses a SPARK_PORT that is not a port number', () => {
    const r = run({ SPARK_PORT: '70000' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('SPARK_PORT must be a port number');
  }, 60_000);
});

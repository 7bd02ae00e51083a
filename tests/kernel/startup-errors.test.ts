import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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
    const dataDir = join(mkdtempSync(join(tmpdir(), 'spark-start-')), 'not', 'yet');
    const child = spawn(process.execPath, ['--import', 'tsx', 'core/src/main.ts'], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SPARK_DATA_DIR: dataDir, SPARK_PORT: '0', SPARK_SIM_PRELOAD: '0', SPARK_LOG_LEVEL: 'silent' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no dashboard banner in 40 s:\n${out.slice(-2000)}`)), 40_000);
        child.once('exit', (code) => { clearTimeout(t); reject(new Error(`exited with ${code}:\n${out.slice(-2000)}`)); });
        const look = () => { const m = /dashboard at (http:\/\/\S+)/.exec(out); if (m) { clearTimeout(t); resolve(m[1]); } };
        child.stdout.on('data', look);
      });
      const health = await fetch(`${url.replace('localhost', '127.0.0.1')}/health`);
      expect(health.status).toBe(200);
      expect(statSync(dataDir).isDirectory()).toBe(true);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(undefined)));
    }
  }, 60_000);

  it('refuses a SPARK_PORT that is not a port number', () => {
    const r = run({ SPARK_PORT: '70000' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('SPARK_PORT must be a port number');
  }, 60_000);
});

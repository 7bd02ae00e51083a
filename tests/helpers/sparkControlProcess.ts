import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KERNEL_NODE_FLAGS } from '../../core/src/kernel/nodeFlags.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** `npm start` as a child process: the build it runs (dist/server, node itself, no tsx) on a fresh data dir with the
 *  simulated cluster, so a request that kills the process is observed by the test instead of ending it. */
export interface SparkControlProcess {
  url: string;
  /** Its SPARK_DATA_DIR (the simulator's state is under `sim/<host id>/`). */
  dataDir: string;
  child: ChildProcess;
  /** stdout + stderr so far. */
  output(): string;
  /** Set once the process has exited (code or signal). */
  exited(): string | undefined;
  stop(): Promise<void>;
}

let built = false;
/** Builds what `npm start` runs, once per test process. */
export function buildForNpmStart(): void {
  if (built) return;
  execFileSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: root, stdio: 'inherit' });
  built = true;
}

export async function startSparkControlProcess(env: Record<string, string> = {}): Promise<SparkControlProcess> {
  buildForNpmStart();
  const dataDir = mkdtempSync(join(tmpdir(), 'spark-npm-start-'));
  const child = spawn(process.execPath, [...KERNEL_NODE_FLAGS, 'dist/server/core/src/main.js'], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SPARK_DATA_DIR: dataDir, SPARK_PORT: '0', SPARK_BIND: '127.0.0.1', SPARK_LOG_LEVEL: 'warn', VITEST: '', ...env },
  });
  let out = '';
  let exit: string | undefined;
  child.stdout!.on('data', (d) => { out += d; if (out.length > 4e6) out = out.slice(-2e6); });
  child.stderr!.on('data', (d) => { out += d; if (out.length > 4e6) out = out.slice(-2e6); });
  child.once('exit', (code, signal) => { exit = `exited with ${code ?? signal}`; });
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`Spark Control did not start in 40 s:\n${out.slice(-2000)}`)), 40_000);
    const look = () => {
      const m = /dashboard at http:\/\/localhost:(\d+)/.exec(out);
      if (m) { clearTimeout(t); resolve(`http://127.0.0.1:${m[1]}`); }
    };
    child.stdout!.on('data', look);
    child.once('exit', () => { clearTimeout(t); reject(new Error(`Spark Control ${exit} before listening:\n${out.slice(-2000)}`)); });
  });
  return {
    url, child, dataDir,
    output: () => out,
    exited: () => exit,
    stop: async () => {
      if (!exit) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await gone;
        clearTimeout(t);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SparkPlugin, SimControl } from '../api/types.js';
import { App, type AppOptions } from '../kernel/App.js';
import type { PluginTestKernelOptions } from './index.js';

/** The public options (documented in ./index.ts) plus kernel knobs only this repo's own tests use. */
export interface TestKernelOptions extends PluginTestKernelOptions {
  ssh?: { connectTimeoutMs?: number; keepaliveIntervalMs?: number; keepaliveCountMax?: number };
  /** The simulated Sparks start out serving, as `npm start` does. */
  simPreload?: boolean;
  /** The simulated cluster in its own process, as `npm start` runs it (default: in the test's process). */
  simProcess?: boolean;
  /** Request-body timeouts (App options of the same names). */
  bodyIdleTimeoutMs?: number;
  bodyTotalTimeoutMs?: number;
  /** Extra allowed Host names (as SPARK_ALLOWED_HOSTS). */
  allowedHosts?: string[];
  /** Usage batching (App option of the same name). */
  usage?: AppOptions['usage'];
}

export interface TestKernel {
  url: string;
  port: number;
  app: App;
  kernel: App['kernel'];
  dataDir: string;
  /** Simulated cluster control (undefined when simulate: false). */
  sim?: SimControl & { servicePorts: Record<string, { hostId: string; port: number }> };
  /** fetch relative to the kernel URL. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

/** A real kernel on 127.0.0.1:0 with the simulated cluster, for plugin and integration tests. */
export async function createTestKernel(o: TestKernelOptions = {}): Promise<TestKernel> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'spark-test-'));
  mkdirSync(dataDir, { recursive: true });
  if (o.config) writeFileSync(join(dataDir, 'config.json'), JSON.stringify(o.config, null, 2));
  const builtins = (o.plugins ?? []).filter((p): p is string => typeof p === 'string');
  const inline = (o.plugins ?? []).filter((p): p is SparkPlugin => typeof p !== 'string');
  const app = new App({
    dataDir, port: 0, bind: '127.0.0.1', simulate: o.simulate ?? true, builtins, inline,
    pluginsDir: o.pluginsDir ?? false, retryBaseMs: o.retryBaseMs ?? 50, retryMaxMs: 2_000,
    logLevel: o.logLevel ?? ((process.env.SPARK_LOG_LEVEL as 'warn' | undefined) ?? 'silent'), logSink: o.logSink, ssh: o.ssh, simPreload: o.simPreload, simProcess: o.simProcess,
    bodyIdleTimeoutMs: o.bodyIdleTimeoutMs, bodyTotalTimeoutMs: o.bodyTotalTimeoutMs, allowedHosts: o.allowedHosts, usage: o.usage,
  });
  const { port } = await app.start();
  const url = `http://127.0.0.1:${port}`;
  return {
    url, port, app, kernel: app.kernel, dataDir,
    sim: app.sim ? Object.assign(Object.create(null), app.sim.control, { servicePorts: app.sim.servicePorts }) : undefined,
    fetch: (path, init) => fetch(url + path, init),
    async stop(so = {}) {
      await app.stop();
      if (!o.dataDir && !so.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

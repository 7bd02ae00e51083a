/**
 * `@spark-control/plugin-api/testing` — test helpers for plugin authors: a real kernel on the simulated cluster, and
 * the contract checker. What is exported here follows the same semver policy as the plugin API; the kernel objects
 * reachable at runtime beyond these types (`app`, `kernel`) are internals and may change in any release.
 */
import type { SimControl, SparkPlugin } from '../api/types.js';
import { createTestKernel as createFullTestKernel } from './createTestKernel.js';

export { checkPluginContract, formatProblems } from './checkPluginContract.js';
export type { ContractCheckOptions, ContractCode, ContractProblem } from './checkPluginContract.js';

export interface PluginTestKernelOptions {
  /** Plugin objects to load (e.g. your default export). Inside the Spark Control repo, built-in ids work too. */
  plugins?: Array<string | SparkPlugin>;
  /** Initial config.json, e.g. `{ plugins: { <id>: { port: 1234 } } }` or `{ services: { ... } }`. */
  config?: Record<string, unknown>;
  /** Default true: two simulated Sparks (SSH servers running bash over fake docker/nvidia-smi) plus every loaded
   *  plugin's `simulators`. */
  simulate?: boolean;
  /** Reuse a data dir (restart tests); default a fresh temp dir removed by `stop()`. */
  dataDir?: string;
  /** Also discover installed plugins from this folder (`<dir>/<name>/package.json`, `<dir>/node_modules/spark-control-plugin-*`). */
  pluginsDir?: string | false;
  /** Base delay of the NotReadyError retry backoff (default 50 ms in tests). */
  retryBaseMs?: number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Receives every JSON log line. */
  logSink?: (line: string) => void;
}

/** One plugin as the plugins page shows it (`GET /api/plugins`). */
export interface PluginStatus {
  id: string;
  name: string;
  version?: string;
  apiVersion?: string;
  source: 'builtin' | 'dir' | 'npm' | 'inline';
  state: string;
  reason?: string;
  /** `where`: for `SPK_PLUGIN_CRASHED` / `SPK_PLUGIN_LOOP_BLOCKED`, the callback that crashed or held the loop. */
  error?: { code: string; message: string; where?: string };
  /** When a crashed (or retrying) plugin is started again. */
  nextRetryAt?: string;
  /** Crashes in a row; the restart backoff doubles with each. */
  crashes?: number;
  /** Event-loop stalls named after this plugin. */
  loopStalls?: { count: number; maxMs: number; last: { at: string; ms: number; where?: string; attribution?: 'measured' | 'suspected' } };
}

export interface PluginTestKernel {
  /** `http://127.0.0.1:<port>`; the dashboard is served there too. */
  url: string;
  port: number;
  dataDir: string;
  /** Simulated cluster control (undefined with `simulate: false`): take a Spark down, read its fake root. */
  sim?: SimControl & { servicePorts: Record<string, { hostId: string; port: number }> };
  /** fetch relative to `url`. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** State of a loaded plugin, or undefined. */
  plugin(id: string): PluginStatus | undefined;
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

/** A real kernel on 127.0.0.1:0 with the simulated cluster; `await k.stop()` when done. */
export async function createTestKernel(o: PluginTestKernelOptions = {}): Promise<PluginTestKernel> {
  const k = await createFullTestKernel(o);
  return Object.assign(k, {
    plugin: (id: string): PluginStatus | undefined => {
      const r = k.kernel.get(id);
      return r ? (k.kernel.describe(r) as PluginStatus) : undefined;
    },
  });
}

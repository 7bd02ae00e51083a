import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import semver from 'semver';
import type { z } from 'zod';
import type { HealthCheckSpec, PluginContext, PageSectionSpec, SparkPlugin, TileSpec } from '../api/types.js';
import { SPARK_PLUGIN_API_VERSION } from '../api/definePlugin.js';
import { isPluginId, PLUGIN_ID } from '../api/ids.js';
import { NPM_PLUGIN_NAME } from '../kernel/discovery.js';
import { createTestKernel } from './createTestKernel.js';
import { createNetworkGuard } from './networkGuard.js';

/** Stable codes: tests and CI scripts may match on them; messages may be reworded. */
export type ContractCode =
  | 'SPK_CONTRACT_NOT_A_PLUGIN'
  | 'SPK_CONTRACT_PACKAGE'
  | 'SPK_CONTRACT_MANIFEST_ID'
  | 'SPK_CONTRACT_MANIFEST_NAME'
  | 'SPK_CONTRACT_MANIFEST_VERSION'
  | 'SPK_CONTRACT_API_RANGE'
  | 'SPK_CONTRACT_API_MISMATCH'
  | 'SPK_CONTRACT_CONFIG_SCHEMA'
  | 'SPK_CONTRACT_CONFIG_DEFAULTS'
  | 'SPK_CONTRACT_REGISTER_FAILED'
  | 'SPK_CONTRACT_IO_DURING_REGISTER'
  | 'SPK_CONTRACT_ROUTE_PREFIX'
  | 'SPK_CONTRACT_PUBLIC_ROUTE_UNDECLARED'
  | 'SPK_CONTRACT_TILE_TAG'
  | 'SPK_CONTRACT_TILE_MODULE'
  | 'SPK_CONTRACT_HEALTH_TIMEOUT'
  | 'SPK_CONTRACT_START_FAILED';

export interface ContractProblem {
  code: ContractCode;
  /** `error`: the kernel refuses it or it breaks the dashboard/cluster; `warning`: works, but not as documented. */
  severity: 'error' | 'warning';
  /** Plain words naming the plugin and what to change. */
  message: string;
}

export interface ContractCheckOptions {
  /** Public prefixes the plugin is allowed to serve (besides `/api/plugins/<id>`). For a plugin folder the default
   *  is `package.json` → `sparkControl.publicRoutes`. */
  publicPrefixes?: string[];
  /** Folder holding the built tile modules (for a plugin folder: `sparkControl.ui`, default `dist/ui`). */
  uiDir?: string;
  /** Other plugins to load next to it (ids of built-ins in this repo, or plugin objects), e.g. its `dependsOn`. */
  with?: Array<string | SparkPlugin>;
  /** Initial config.json for the test kernel. */
  config?: Record<string, unknown>;
  /** Boot against the simulated cluster (default false: no hosts, so register and start must cope without them). */
  simulate?: boolean;
}

const KERNEL_CODE_TO_CONTRACT: Record<string, ContractCode> = {
  SPK_IO_DURING_REGISTER: 'SPK_CONTRACT_IO_DURING_REGISTER',
  SPK_TILE_TAG: 'SPK_CONTRACT_TILE_TAG',
  SPK_TILE_MODULE: 'SPK_CONTRACT_TILE_MODULE',
  SPK_ROUTE_RESERVED: 'SPK_CONTRACT_ROUTE_PREFIX',
  SPK_ROUTE_PREFIX: 'SPK_CONTRACT_ROUTE_PREFIX',
  SPK_ROUTE_CONFLICT: 'SPK_CONTRACT_ROUTE_PREFIX',
};

interface Loaded {
  plugin?: SparkPlugin;
  uiDir?: string;
  publicPrefixes?: string[];
}

/** Reads a plugin folder the way the kernel's discovery does (package.json `sparkControl`), plus what only a
 *  reviewer would notice (keyword, package name, API range stated twice). */
async function loadFromPath(path: string, problems: ContractProblem[]): Promise<Loaded> {
  const abs = resolve(path);
  const isDir = existsSync(abs) && statSync(abs).isDirectory();
  const dir = isDir ? abs : dirname(abs);
  let pkg: { name?: string; keywords?: string[]; main?: string; sparkControl?: { main?: string; ui?: string; apiVersion?: string; publicRoutes?: string[] } } | undefined;
  if (existsSync(join(dir, 'package.json'))) {
    try { pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')); } catch (e) {
      problems.push({ code: 'SPK_CONTRACT_PACKAGE', severity: 'error', message: `package.json is not valid JSON: ${(e as Error).message}` });
    }
  }
  const entry = isDir ? resolve(dir, pkg?.sparkControl?.main ?? pkg?.main ?? 'dist/index.js') : abs;
  if (pkg && isDir) {
    if (!pkg.keywords?.includes('spark-control-plugin')) problems.push({ code: 'SPK_CONTRACT_PACKAGE', severity: 'warning', message: 'package.json keywords should include "spark-control-plugin" (how people find plugins on npm)' });
    if (pkg.name && !NPM_PLUGIN_NAME.test(pkg.name)) problems.push({ code: 'SPK_CONTRACT_PACKAGE', severity: 'warning', message: `package name "${pkg.name}" is not spark-control-plugin-<name>: installed from npm, Spark Control would not discover it` });
    if (!pkg.sparkControl) problems.push({ code: 'SPK_CONTRACT_PACKAGE', severity: 'warning', message: 'package.json has no "sparkControl" field ({ apiVersion, main, ui })' });
  }
  if (!existsSync(entry)) {
    problems.push({ code: 'SPK_CONTRACT_NOT_A_PLUGIN', severity: 'error', message: `entry file not found: ${entry} (build the plugin first?)` });
    return {};
  }
  let mod: { default?: unknown; plugin?: unknown };
  try {
    mod = await import(pathToFileURL(entry).href);
  } catch (e) {
    problems.push({ code: 'SPK_CONTRACT_NOT_A_PLUGIN', severity: 'error', message: `importing ${entry} failed: ${(e as Error).message}` });
    return {};
  }
  const plugin = (mod.default ?? mod.plugin) as SparkPlugin | undefined;
  const m = (plugin as SparkPlugin | undefined)?.manifest;
  if (pkg?.sparkControl?.apiVersion && m?.apiVersion && pkg.sparkControl.apiVersion !== m.apiVersion) {
    problems.push({ code: 'SPK_CONTRACT_PACKAGE', severity: 'warning', message: `package.json sparkControl.apiVersion (${pkg.sparkControl.apiVersion}) differs from manifest.apiVersion (${m.apiVersion})` });
  }
  return { plugin, uiDir: isDir ? resolve(dir, pkg?.sparkControl?.ui ?? 'dist/ui') : undefined, publicPrefixes: pkg?.sparkControl?.publicRoutes };
}

/** What can be judged without booting anything. Returns false when booting makes no sense. */
function checkStatic(p: unknown, problems: ContractProblem[]): p is SparkPlugin {
  const add = (code: ContractCode, message: string) => problems.push({ code, severity: 'error', message });
  const plugin = p as Partial<SparkPlugin> | undefined;
  if (!plugin || typeof plugin !== 'object' || plugin.$$type !== 'spark-control/plugin@1') {
    add('SPK_CONTRACT_NOT_A_PLUGIN', 'the module must default-export a plugin made with defineSparkPlugin({ manifest, configSchema, register })');
    return false;
  }
  const m = (plugin.manifest ?? {}) as Partial<SparkPlugin['manifest']>;
  const who = typeof m.id === 'string' ? m.id : '(no id)';
  if (typeof m.id !== 'string' || !isPluginId(m.id)) add('SPK_CONTRACT_MANIFEST_ID', `manifest.id ${JSON.stringify(m.id)} must match ${PLUGIN_ID} (it becomes the route prefix and the tile-tag prefix)`);
  if (typeof m.name !== 'string' || !m.name.trim()) add('SPK_CONTRACT_MANIFEST_NAME', `${who}: manifest.name is required (shown on the plugins page)`);
  if (typeof m.version !== 'string' || !semver.valid(m.version)) add('SPK_CONTRACT_MANIFEST_VERSION', `${who}: manifest.version ${JSON.stringify(m.version)} is not a semver version like 1.0.0`);
  if (typeof m.apiVersion !== 'string' || !semver.validRange(m.apiVersion)) {
    add('SPK_CONTRACT_API_RANGE', `${who}: manifest.apiVersion ${JSON.stringify(m.apiVersion)} is not a semver range like ^${SPARK_PLUGIN_API_VERSION}`);
  } else if (!semver.satisfies(SPARK_PLUGIN_API_VERSION, m.apiVersion)) {
    add('SPK_CONTRACT_API_MISMATCH', `${who}: needs plugin API ${m.apiVersion}, but this API is ${SPARK_PLUGIN_API_VERSION}; the kernel would not load it`);
  }
  if (typeof plugin.register !== 'function') add('SPK_CONTRACT_REGISTER_FAILED', `${who}: register must be a function`);
  const cfg = plugin.configSchema as z.ZodType | undefined;
  if (!cfg || typeof cfg.safeParse !== 'function') {
    add('SPK_CONTRACT_CONFIG_SCHEMA', `${who}: configSchema must be a zod schema (z.object({...}))`);
  } else {
    const r = cfg.safeParse({});
    if (!r.success) {
      const fields = (r.error?.issues ?? []).map((i) => i.path.join('.') || '(root)').join(', ');
      add('SPK_CONTRACT_CONFIG_DEFAULTS', `${who}: configSchema.parse({}) fails${fields ? ` at ${fields}` : ''}; give every field a .default() so a fresh install starts`);
    }
  }
  return !problems.some((x) => x.severity === 'error');
}

/** The plugin with its register wrapped: every declaration is looked at (and a bad tile skipped rather than
 *  aborting register, so later problems are still found), and raw sockets opened meanwhile are caught. */
function instrument(plugin: SparkPlugin, problems: ContractProblem[], guard: ReturnType<typeof createNetworkGuard>): SparkPlugin {
  const id = plugin.manifest.id;
  const register = (ctx: PluginContext<unknown>) => {
    const validTag = (what: string, tag: unknown): boolean => {
      if (typeof tag === 'string' && tag.startsWith(`spark-${id}-`) && /^[a-z][a-z0-9]*(-[a-z0-9]+)+$/.test(tag)) return true;
      problems.push({ code: 'SPK_CONTRACT_TILE_TAG', severity: 'error', message: `${id}: ${what} tag ${JSON.stringify(tag)} must be a valid custom-element name starting with spark-${id}-` });
      return false;
    };
    const tiles = { register(t: TileSpec) { if (validTag('tile', t?.tag)) ctx.tiles.register(t); } };
    const pages = { ...ctx.pages, section(sec: PageSectionSpec) { if (validTag('section', sec?.tag)) ctx.pages.section(sec); } };
    const health = {
      ...ctx.health,
      register(spec: HealthCheckSpec) {
        if (!(typeof spec.timeoutMs === 'number' && spec.timeoutMs > 0)) {
          problems.push({ code: 'SPK_CONTRACT_HEALTH_TIMEOUT', severity: 'error', message: `${id}: health check "${spec.name}" has no timeoutMs; give it one shorter than its intervalMs` });
        } else if (spec.intervalMs !== undefined && spec.timeoutMs >= spec.intervalMs) {
          problems.push({ code: 'SPK_CONTRACT_HEALTH_TIMEOUT', severity: 'warning', message: `${id}: health check "${spec.name}" timeoutMs (${spec.timeoutMs}) is not shorter than intervalMs (${spec.intervalMs})` });
        }
        ctx.health.register(spec);
      },
    };
    return guard.run(() => plugin.register({ ...ctx, tiles, pages, health }));
  };
  return Object.freeze({ ...plugin, register });
}

function sameOrUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix + '/');
}

/**
 * Boots the plugin alone in a real test kernel and reports what it does against the contract: bad manifest
 * (id, version, API range), a config schema without defaults, routes outside `/api/plugins/<id>` or under a public
 * prefix it did not declare, a tile tag without the `spark-<id>-` prefix or a tile module that is not there, a health
 * check without a timeout, network I/O during register (through `ctx` or any raw socket), failures in register/start.
 *
 * `target` is a plugin object or a path (a plugin folder with package.json, or its built entry file). An empty
 * array means the plugin keeps the contract.
 */
export async function checkPluginContract(target: SparkPlugin | string, opts: ContractCheckOptions = {}): Promise<ContractProblem[]> {
  const problems: ContractProblem[] = [];
  const loaded: Loaded = typeof target === 'string' ? await loadFromPath(target, problems) : { plugin: target };
  if (typeof target === 'string' && !loaded.plugin && problems.some((p) => p.code === 'SPK_CONTRACT_NOT_A_PLUGIN')) return problems;
  if (!checkStatic(loaded.plugin, problems)) return problems;
  const plugin = loaded.plugin;
  const id = plugin.manifest.id;
  const declared = opts.publicPrefixes ?? loaded.publicPrefixes ?? [];
  const uiDir = opts.uiDir ?? loaded.uiDir;

  const dataDir = mkdtempSync(join(tmpdir(), 'spark-contract-'));
  if (uiDir && existsSync(uiDir)) {
    // Inline plugins are served from <dataDir>/inline-ui/<id>: point that at the plugin's built UI.
    mkdirSync(join(dataDir, 'inline-ui'), { recursive: true });
    symlinkSync(resolve(uiDir), join(dataDir, 'inline-ui', id), 'dir');
  }
  const guard = createNetworkGuard(id);
  let k: Awaited<ReturnType<typeof createTestKernel>> | undefined;
  try {
    k = await createTestKernel({ dataDir, plugins: [...(opts.with ?? []), instrument(plugin, problems, guard)], config: opts.config, simulate: opts.simulate ?? false });
    const rec = k.kernel.get(id);
    const scope = rec?.scope;
    const io = [...(scope?.ioDuringRegister ?? []), ...guard.seen];
    if (io.length) {
      problems.push({ code: 'SPK_CONTRACT_IO_DURING_REGISTER', severity: 'error', message: `${id}: network I/O during register (${io.join(', ')}); declare in register, do I/O in ctx.lifecycle.onStart` });
    }
    if (rec?.error && rec.error.code !== 'SPK_IO_DURING_REGISTER') {
      const code = KERNEL_CODE_TO_CONTRACT[rec.error.code] ?? (rec.reason === 'start failed' ? 'SPK_CONTRACT_START_FAILED' : 'SPK_CONTRACT_REGISTER_FAILED');
      const where = rec.reason === 'start failed' ? 'onStart' : 'register';
      problems.push({
        code, severity: code === 'SPK_CONTRACT_START_FAILED' ? 'warning' : 'error',
        message: `${id}: ${where} failed with ${rec.error.code}: ${rec.error.message}${where === 'onStart' ? ' (throw NotReadyError while an upstream is not reachable: the kernel retries)' : ''}`,
      });
    }
    if (scope) {
      const own = `/api/plugins/${id}`;
      for (const r of scope.router.routes) {
        if (!sameOrUnder(r.fullPath, own)) problems.push({ code: 'SPK_CONTRACT_ROUTE_PREFIX', severity: 'error', message: `${id}: route ${r.spec.method} ${r.fullPath} is outside ${own} (paths start with "/")` });
      }
      for (const prefix of scope.publicRouters.keys()) {
        if (!declared.includes(prefix)) {
          problems.push({ code: 'SPK_CONTRACT_PUBLIC_ROUTE_UNDECLARED', severity: 'error', message: `${id}: serves the public prefix ${prefix} without declaring it (package.json sparkControl.publicRoutes)` });
        }
      }
      if (uiDir) {
        for (const [what, t] of [...scope.tiles.map((x) => ['tile', x] as const), ...scope.sections.map((x) => ['section', x] as const)]) {
          const file = join(uiDir, t.module);
          if (!existsSync(file)) {
            problems.push({ code: 'SPK_CONTRACT_TILE_MODULE', severity: 'error', message: `${id}: ${what} module ${t.module} not found in ${uiDir} (built?)` });
            continue;
          }
          const res = await k.fetch(t.moduleUrl);
          await res.body?.cancel();
          if (res.status !== 200) problems.push({ code: 'SPK_CONTRACT_TILE_MODULE', severity: 'error', message: `${id}: ${what} module ${t.moduleUrl} answers HTTP ${res.status}` });
          else if (!readFileSync(file, 'utf8').includes(t.tag)) {
            problems.push({ code: 'SPK_CONTRACT_TILE_MODULE', severity: 'warning', message: `${id}: ${t.module} never mentions <${t.tag}>; it must customElements.define it (the dashboard waits 5 s, then shows an error ${what})` });
          }
        }
      }
    }
  } finally {
    guard.release();
    await k?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return problems;
}

/** One line per problem, for assertion messages: `expect(problems, formatProblems(problems)).toEqual([])`. */
export function formatProblems(problems: readonly ContractProblem[]): string {
  return problems.length ? problems.map((p) => `${p.severity} ${p.code}: ${p.message}`).join('\n') : 'no problems';
}

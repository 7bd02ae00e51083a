import { join } from 'node:path';
import semver from 'semver';
import { z } from 'zod';
import type { ExtensionPoint, Logger, MemoryReservation, SimControl, SparkPlugin } from '../api/types.js';
import { isNotReadyError, isSparkError, SparkError } from '../api/errors.js';
import { codes } from '../api/codes.js';
import { SPARK_PLUGIN_API_VERSION, simControlPoint } from '../api/definePlugin.js';
import type { KernelServices } from './services.js';
import { isPluginId, PLUGIN_ID } from '../api/ids.js';
import { declaredServicesProblem } from './declaredServices.js';
import { PluginScope, pluginDataDir } from './PluginScope.js';
import { importCandidate, type PluginCandidate, type PluginSource } from './discovery.js';
import type { Middleware } from 'koa';
import type { PluginRouterImpl } from '../http/PluginRouter.js';
import type { ScopeFaults } from './PluginScope.js';
import { LoopMonitor } from './LoopMonitor.js';
import { outsidePlugins, runAsPlugin } from './pluginContext.js';

export type PluginState =
  | 'discovered' | 'incompatible' | 'config_error' | 'registered' | 'starting' | 'running' | 'retrying' | 'failed' | 'disabled' | 'stopping' | 'stopped';

export interface PluginRecord {
  id: string;
  name: string;
  version?: string;
  apiVersion?: string;
  description?: string;
  source: PluginSource;
  state: PluginState;
  reason?: string;
  /** Crashes in a row (reset once an instance ran for `crashResetMs`); drives the restart backoff. */
  crashes?: number;
  runningSince?: number;
  error?: { code: string; message: string; where?: string };
  candidate: PluginCandidate;
  plugin?: SparkPlugin;
  scope?: PluginScope;
  /** Public route prefixes of the last scope, kept after it stops so its routes answer 503 (not 404) meanwhile. */
  publicPrefixes?: string[];
  attempts: number;
  retryTimer?: NodeJS.Timeout;
  nextRetryAt?: string;
}

const PRECEDENCE: Record<PluginSource, number> = { inline: 0, builtin: 1, dir: 2, npm: 3 };

export interface KernelOptions {
  dataDir: string;
  /** Base delay of the NotReady retry backoff (doubles up to retryMaxMs). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  registerTimeoutMs?: number;
  startTimeoutMs?: number;
  /** Throw on any plugin failure (CI for built-ins). */
  strict?: boolean;
  /** A loop stall at least this long is recorded and named (default 200 ms). */
  loopStallMs?: number;
  /** A plugin callback that holds the loop this long fails the plugin (restart with backoff; default 1500 ms). */
  loopBlockFailMs?: number;
  /** A crash after an instance ran this long restarts it after the base delay again (default 60 s). */
  crashResetMs?: number;
}

/** States in which an instance's code runs, so a crash of it is handled (not a late error of a gone instance). */
const CRASHABLE = new Set<PluginState>(['registered', 'starting', 'running', 'retrying']);
/** Kernel calls whose slowness is not a stall to fail the plugin for (they have their own timeouts). */
const LIFECYCLE = new Set(['register', 'onStart', 'onStop']);

/** Plugin lifecycle: discover → validate → order → register → start; isolation, retry, restart, ordered stop. */
export class Kernel {
  readonly records = new Map<string, PluginRecord>();
  /** Failures of candidates that never got an id (import errors, duplicates) keyed by name. */
  private order: string[] = [];
  private startOrder: string[] = [];
  private simControl?: SimControl;
  private stopping = false;
  readonly log: Logger;
  /** Event-loop delay and stalls, named after the plugin behind them. */
  readonly loop: LoopMonitor;
  private readonly faults: ScopeFaults;

  constructor(readonly s: KernelServices, private readonly o: KernelOptions) {
    this.log = s.log.child({ area: 'kernel' });
    this.loop = new LoopMonitor({ stallMs: o.loopStallMs });
    const blockFailMs = o.loopBlockFailMs ?? 1_500;
    this.faults = {
      crashed: (scope, err, where) => this.crashed(scope, err, where),
      entered: (plugin, where) => this.loop.entered(plugin, where),
      exited: (scope, where, ms) => {
        this.loop.exited(scope.id, where, ms);
        if (ms >= blockFailMs && !LIFECYCLE.has(where)) {
          const err = new SparkError(codes.PLUGIN_LOOP_BLOCKED, `${scope.id} held the event loop for ${Math.round(ms)} ms in ${where}`);
          outsidePlugins(() => setImmediate(() => this.crashed(scope, err, where, codes.PLUGIN_LOOP_BLOCKED)));
        }
      },
    };
  }

  setSimControl(sim: SimControl): void {
    this.simControl = sim;
  }

  list(): PluginRecord[] {
    return this.order.map((id) => this.records.get(id)!).filter(Boolean);
  }

  get(id: string): PluginRecord | undefined {
    return this.records.get(id);
  }

  private setState(r: PluginRecord, state: PluginState, reason?: string, error?: PluginRecord['error']): void {
    r.state = state;
    r.reason = reason;
    r.error = error;
    this.s.events.emit('plugin.state', this.describe(r));
    if (state === 'failed' || state === 'incompatible' || state === 'config_error') {
      this.log.error('plugin not running', { plugin: r.id, state, code: error?.code, error: error?.message });
      if (this.o.strict) throw new SparkError(error?.code ?? 'SPK_PLUGIN_FAILED', `${r.id}: ${error?.message ?? state}`);
    }
  }

  describe(r: PluginRecord) {
    return {
      id: r.id, name: r.name, version: r.version, apiVersion: r.apiVersion, description: r.description, source: r.source, state: r.state,
      ...(r.reason ? { reason: r.reason } : {}), ...(r.error ? { error: r.error } : {}), ...(r.nextRetryAt ? { nextRetryAt: r.nextRetryAt } : {}),
      dependsOn: r.plugin?.manifest.dependsOn ?? [],
      ...(r.crashes ? { crashes: r.crashes } : {}),
      ...this.loopStallsOf(r.id),
    };
  }

  private loopStallsOf(id: string): { loopStalls?: { count: number; maxMs: number; last: { at: string; ms: number; where?: string; attribution?: string } } } {
    const st = this.loop.ofPlugin(id);
    return st ? { loopStalls: { count: st.count, maxMs: st.maxMs, last: st.last } } : {};
  }

  /** Import and validate every candidate; duplicates resolved by precedence (inline > builtin > dir > npm). */
  async load(candidates: PluginCandidate[]): Promise<void> {
    const sorted = [...candidates].sort((a, b) => PRECEDENCE[a.source] - PRECEDENCE[b.source]);
    for (const c of sorted) {
      let plugin: SparkPlugin | undefined;
      try {
        plugin = await importCandidate(c);
      } catch (e) {
        const id = `load:${c.name}`;
        const r = this.addRecord({ id, name: c.name, source: c.source, state: 'discovered', candidate: c, attempts: 0 });
        this.setState(r, 'failed', 'could not be loaded', { code: (e as { code?: string }).code ?? 'SPK_PLUGIN_LOAD_FAILED', message: (e as Error).message });
        continue;
      }
      const m = plugin.manifest ?? ({} as SparkPlugin['manifest']);
      const id = typeof m.id === 'string' ? m.id : `invalid:${c.name}`;
      if (this.records.has(id)) {
        const winner = this.records.get(id)!;
        const dupId = `${id}@${c.source}:${c.name}`;
        const r = this.addRecord({ id: dupId, name: m.name ?? c.name, version: m.version, apiVersion: m.apiVersion, source: c.source, state: 'discovered', candidate: c, attempts: 0 });
        this.setState(r, 'failed', `duplicate plugin id "${id}"`, { code: 'SPK_PLUGIN_DUPLICATE_ID', message: `plugin id "${id}" is already provided by the ${winner.source} plugin ${winner.name}` });
        continue;
      }
      const r = this.addRecord({ id, name: m.name ?? id, version: m.version, apiVersion: m.apiVersion, description: m.description, source: c.source, state: 'discovered', candidate: c, plugin, attempts: 0 });
      const problem = this.checkManifest(plugin);
      if (problem) this.setState(r, problem.code === 'SPK_PLUGIN_API_MISMATCH' ? 'incompatible' : 'failed', problem.message, problem);
    }
    this.orderByDependencies();
  }

  private addRecord(r: PluginRecord): PluginRecord {
    this.records.set(r.id, r);
    this.order.push(r.id);
    return r;
  }

  private checkManifest(p: SparkPlugin): { code: string; message: string } | undefined {
    const m = p.manifest;
    if (!m || typeof m.id !== 'string' || !isPluginId(m.id)) return { code: 'SPK_PLUGIN_BAD_MANIFEST', message: `manifest.id must match ${PLUGIN_ID}` };
    if (typeof m.name !== 'string' || !m.name) return { code: 'SPK_PLUGIN_BAD_MANIFEST', message: 'manifest.name is required' };
    if (typeof m.version !== 'string' || !semver.valid(m.version)) return { code: 'SPK_PLUGIN_BAD_MANIFEST', message: 'manifest.version must be a semver version' };
    if (typeof m.apiVersion !== 'string' || !semver.validRange(m.apiVersion)) return { code: 'SPK_PLUGIN_BAD_MANIFEST', message: 'manifest.apiVersion must be a semver range' };
    if (!semver.satisfies(SPARK_PLUGIN_API_VERSION, m.apiVersion)) {
      return { code: 'SPK_PLUGIN_API_MISMATCH', message: `needs plugin API ${m.apiVersion}, this Spark Control provides ${SPARK_PLUGIN_API_VERSION}` };
    }
    const badService = declaredServicesProblem(m.services);
    if (badService) return { code: 'SPK_PLUGIN_BAD_MANIFEST', message: badService };
    if (typeof p.register !== 'function') return { code: 'SPK_PLUGIN_BAD_MANIFEST', message: 'register must be a function' };
    const cfg = p.configSchema as z.ZodType | undefined;
    if (!cfg || typeof cfg.safeParse !== 'function') return { code: 'SPK_PLUGIN_BAD_MANIFEST', message: 'configSchema must be a zod schema' };
    if (!cfg.safeParse({}).success) return { code: 'SPK_PLUGIN_CONFIG_DEFAULTS', message: 'configSchema.parse({}) must succeed (every field needs a default)' };
    return undefined;
  }

  /** Topological order by dependsOn/after; members of a cycle (and plugins missing a dependency) fail alone. */
  private orderByDependencies(): void {
    const live = this.list().filter((r) => r.plugin && r.state === 'discovered');
    const byId = new Map(live.map((r) => [r.id, r]));
    const visiting = new Set<string>();
    const done = new Set<string>();
    const result: string[] = [];
    const visit = (id: string, stack: string[]): boolean => {
      if (done.has(id)) return true;
      if (visiting.has(id)) {
        const cycle = stack.slice(stack.indexOf(id));
        for (const c of cycle) {
          const r = byId.get(c)!;
          if (r.state === 'discovered') this.setState(r, 'failed', 'dependency cycle', { code: 'SPK_PLUGIN_DEPENDENCY_CYCLE', message: `dependency cycle: ${[...cycle, id].join(' → ')}` });
        }
        return false;
      }
      const r = byId.get(id)!;
      visiting.add(id);
      let ok = true;
      for (const dep of r.plugin!.manifest.dependsOn ?? []) {
        if (!byId.has(dep) && !this.records.get(dep)) {
          if (r.state === 'discovered') this.setState(r, 'failed', `missing dependency ${dep}`, { code: 'SPK_PLUGIN_MISSING_DEPENDENCY', message: `depends on "${dep}", which is not installed` });
          ok = false;
          continue;
        }
        if (byId.has(dep) && !visit(dep, [...stack, id])) ok = false;
      }
      for (const dep of r.plugin!.manifest.after ?? []) if (byId.has(dep)) visit(dep, [...stack, id]);
      visiting.delete(id);
      done.add(id);
      if (ok && r.state === 'discovered') result.push(id);
      return ok;
    };
    for (const r of live) visit(r.id, []);
    this.startOrder = result;
  }

  /** Register then start every loadable plugin; independent plugins start in parallel. */
  async startAll(): Promise<void> {
    this.loop.start();
    const disabled = new Set(this.s.config.disabledPlugins());
    for (const id of this.startOrder) {
      const r = this.records.get(id)!;
      if (disabled.has(id)) {
        this.setState(r, 'disabled', 'disabled in settings');
        continue;
      }
      await this.register(r);
    }
    await this.startReady();
  }

  private depsOf(r: PluginRecord): string[] {
    return r.plugin?.manifest.dependsOn ?? [];
  }

  /** Start every registered plugin whose dependencies are running, repeatedly, until nothing changes. */
  private async startReady(): Promise<void> {
    for (;;) {
      const wave = this.startOrder
        .map((id) => this.records.get(id)!)
        .filter((r) => r.state === 'registered' && this.depsOf(r).every((d) => this.records.get(d)?.state === 'running'));
      if (wave.length === 0) break;
      // Claim the whole wave first: a plugin that starts synchronously re-enters startReady and must not start these twice.
      for (const r of wave) this.setState(r, 'starting');
      await Promise.all(wave.map((r) => this.start(r)));
    }
    for (const id of this.startOrder) {
      const r = this.records.get(id)!;
      if (r.state !== 'registered') continue;
      const waiting = this.depsOf(r).filter((d) => this.records.get(d)?.state !== 'running');
      if (waiting.length) this.setState(r, 'registered', `waiting for ${waiting.join(', ')}`);
    }
  }

  private async register(r: PluginRecord): Promise<void> {
    const p = r.plugin!;
    const scope = new PluginScope(p, this.s, pluginDataDir(this.o.dataDir, r.id), this.faults);
    r.scope = scope;
    r.publicPrefixes = undefined;
    try {
      await withTimeout(Promise.resolve(runAsPlugin(scope, 'register', () => p.register(scope.ctx))), this.o.registerTimeoutMs ?? 10_000, `${r.id}: register() did not finish`);
      scope.registering = false;
      if (r.scope !== scope) return; // crashed while registering: the crash handling owns the record now
      this.checkCollisions(r);
      this.setState(r, 'registered');
    } catch (e) {
      scope.registering = false;
      await this.teardownScope(r);
      const err = isSparkError(e) ? e : undefined;
      this.setState(r, 'failed', 'register failed', { code: err?.code ?? 'SPK_PLUGIN_REGISTER_FAILED', message: (e as Error).message });
    }
  }

  /** Public prefixes, element tags (tiles, sections) and page kinds must be unique across running/registered plugins. */
  private checkCollisions(r: PluginRecord): void {
    const scope = r.scope!;
    for (const other of this.records.values()) {
      if (other === r || !other.scope || !['registered', 'starting', 'running', 'retrying', 'failed'].includes(other.state)) continue;
      for (const prefix of scope.publicRouters.keys()) {
        if (other.scope.publicRouters.has(prefix)) {
          throw new SparkError('SPK_ROUTE_CONFLICT', `public prefix ${prefix} is already served by ${other.id}`);
        }
      }
      const otherTags = [...other.scope.tiles, ...other.scope.sections].map((o) => o.tag);
      for (const t of [...scope.tiles, ...scope.sections]) {
        if (otherTags.includes(t.tag)) throw new SparkError('SPK_TILE_CONFLICT', `element tag ${t.tag} is already used by ${other.id}`);
      }
      for (const p of scope.pages) {
        if (other.scope.pages.some((o) => o.kind === p.kind)) throw new SparkError(codes.PAGE_CONFLICT, `page kind ${p.kind} is already registered by ${other.id}`);
      }
    }
  }

  private async start(r: PluginRecord): Promise<void> {
    const scope = r.scope!;
    if (r.state !== 'starting') this.setState(r, 'starting');
    try {
      for (const fn of scope.startFns) {
        await withTimeout(Promise.resolve(runAsPlugin(scope, 'onStart', fn)), this.o.startTimeoutMs ?? 60_000, `${r.id}: onStart did not finish`);
        if (r.scope !== scope) return; // crashed while starting: the crash handling owns the record now
      }
      r.attempts = 0;
      r.nextRetryAt = undefined;
      r.runningSince = Date.now();
      this.s.health.start(r.id);
      this.setState(r, 'running');
      await this.startReady();
    } catch (e) {
      if (r.scope !== scope) return;
      if (isNotReadyError(e) && !this.stopping) {
        r.attempts++;
        const base = this.o.retryBaseMs ?? 5_000;
        const delay = Math.min(base * 2 ** (r.attempts - 1), this.o.retryMaxMs ?? 300_000);
        r.nextRetryAt = new Date(Date.now() + delay).toISOString();
        this.setState(r, 'retrying', `${(e as Error).message} (retry ${r.attempts} in ${Math.round(delay / 1000)} s)`);
        r.retryTimer = setTimeout(() => {
          r.retryTimer = undefined;
          if (r.state === 'retrying') void this.start(r);
        }, delay);
        r.retryTimer.unref();
        return;
      }
      const err = isSparkError(e) ? e : undefined;
      this.setState(r, 'failed', 'start failed', { code: err?.code ?? 'SPK_PLUGIN_START_FAILED', message: (e as Error).message });
    }
  }

  private async teardownScope(r: PluginRecord): Promise<void> {
    const scope = r.scope;
    if (!scope) return;
    this.s.health.remove(r.id);
    this.s.jobs.cancelAll(r.id);
    await scope.dispose();
  }

  private async stopOne(r: PluginRecord, finalState: PluginState = 'stopped', reason?: string): Promise<void> {
    if (r.retryTimer) { clearTimeout(r.retryTimer); r.retryTimer = undefined; }
    const wasRunning = r.state === 'running';
    if (r.scope) {
      if (wasRunning) this.setState(r, 'stopping');
      await this.runStopFns(r, r.scope);
      r.publicPrefixes = [...r.scope.publicRouters.keys()];
      await this.teardownScope(r);
    }
    r.scope = undefined;
    this.setState(r, finalState, reason);
  }

  private async runStopFns(r: PluginRecord, scope: PluginScope): Promise<void> {
    for (const fn of [...scope.stopFns].reverse()) {
      try { await withTimeout(Promise.resolve(runAsPlugin(scope, 'onStop', fn)), 15_000, `${r.id}: onStop did not finish`); } catch (e) { this.log.warn('onStop failed', { plugin: r.id, error: (e as Error).message }); }
    }
  }

  /**
   * An instance's code crashed (an uncaught throw or rejection in its context, a throwing timer or event handler) or
   * held the loop too long: it is `failed` with the code and where, torn down (timers, checks, jobs, subscriptions),
   * its routes answer 503 with Retry-After meanwhile, and it is restarted after a backoff. Other plugins carry on.
   */
  crashed(scope: PluginScope, err: unknown, where: string, code: string = codes.PLUGIN_CRASHED): void {
    const r = this.records.get(scope.id);
    const message = errorText(err);
    const stack = (() => { try { return (err as Error | undefined)?.stack; } catch { return undefined; } })();
    if (!r || r.scope !== scope || scope.disposed || this.stopping || !CRASHABLE.has(r.state)) {
      this.log.warn('error from a plugin instance that is no longer running', { plugin: scope.id, where, error: message, stack });
      return;
    }
    const now = Date.now();
    r.crashes = r.runningSince !== undefined && now - r.runningSince >= (this.o.crashResetMs ?? 60_000) ? 1 : (r.crashes ?? 0) + 1;
    r.runningSince = undefined;
    const delay = Math.min((this.o.retryBaseMs ?? 5_000) * 2 ** (r.crashes - 1), this.o.retryMaxMs ?? 300_000);
    r.nextRetryAt = new Date(now + delay).toISOString();
    this.log.error('plugin crashed', { plugin: r.id, code, where, error: message, stack, crashes: r.crashes, restartInMs: delay });
    try {
      this.setState(r, 'failed', `crashed in ${where}; restart ${r.crashes} in ${Math.ceil(delay / 1000)} s`, { code, message, where });
    } catch { /* strict mode throws on failures; a crash is handled here all the same */ }
    void this.restartAfterCrash(r, scope, now + delay);
  }

  private async restartAfterCrash(r: PluginRecord, scope: PluginScope, at: number): Promise<void> {
    r.publicPrefixes = [...scope.publicRouters.keys()];
    await this.runStopFns(r, scope);
    await this.teardownScope(r);
    if (r.scope === scope) r.scope = undefined;
    if (this.stopping || r.state !== 'failed') return;
    r.retryTimer = setTimeout(() => {
      r.retryTimer = undefined;
      r.nextRetryAt = undefined;
      if (r.state !== 'failed' || this.stopping) return;
      this.restart(r.id).catch((e) => this.log.error('restart after a crash failed', { plugin: r.id, error: (e as Error).message }));
    }, Math.max(0, at - Date.now()));
    r.retryTimer.unref();
  }

  /** Stop → register → start one plugin (and restart its running dependents after it). */
  async restart(id: string): Promise<PluginRecord> {
    const r = this.mustGet(id);
    if (!r.plugin || r.state === 'incompatible' || (r.error && ['SPK_PLUGIN_DUPLICATE_ID', 'SPK_PLUGIN_DEPENDENCY_CYCLE', 'SPK_PLUGIN_BAD_MANIFEST', 'SPK_PLUGIN_MISSING_DEPENDENCY'].includes(r.error.code))) {
      throw new SparkError('SPK_PLUGIN_NOT_RESTARTABLE', `${id} cannot be restarted: ${r.error?.message ?? r.state}`, { status: 409 });
    }
    if (r.state === 'disabled') throw new SparkError('SPK_PLUGIN_DISABLED', `${id} is disabled; enable it first`, { status: 409 });
    const dependents = this.dependentsOf(id).filter((d) => this.records.get(d)?.scope);
    for (const d of [...dependents].reverse()) await this.stopOne(this.records.get(d)!, 'registered');
    await this.stopOne(r, 'stopped');
    await this.register(r);
    for (const d of dependents) {
      const dr = this.records.get(d)!;
      await this.register(dr);
    }
    await this.startReady();
    return r;
  }

  async disable(id: string): Promise<PluginRecord> {
    const r = this.mustGet(id);
    if (!r.plugin) throw new SparkError('SPK_PLUGIN_NOT_RESTARTABLE', `${id} cannot be disabled`, { status: 409 });
    await this.s.config.setDisabled(id, true);
    for (const d of this.dependentsOf(id).reverse()) {
      const dr = this.records.get(d)!;
      if (dr.scope) await this.stopOne(dr, 'registered', `waiting for ${id}`);
    }
    await this.stopOne(r, 'disabled', 'disabled in settings');
    return r;
  }

  async enable(id: string): Promise<PluginRecord> {
    const r = this.mustGet(id);
    await this.s.config.setDisabled(id, false);
    if (r.state !== 'disabled') return r;
    this.setState(r, 'stopped');
    await this.register(r);
    for (const d of this.dependentsOf(id)) {
      const dr = this.records.get(d)!;
      if (!dr.scope && dr.plugin && dr.state === 'registered') await this.register(dr);
    }
    await this.startReady();
    return r;
  }

  private dependentsOf(id: string): string[] {
    const out: string[] = [];
    const walk = (x: string) => {
      for (const oid of this.startOrder) {
        const o = this.records.get(oid)!;
        if (this.depsOf(o).includes(x) && !out.includes(oid)) { out.push(oid); walk(oid); }
      }
    };
    walk(id);
    return this.startOrder.filter((x) => out.includes(x));
  }

  private mustGet(id: string): PluginRecord {
    const r = this.records.get(id);
    if (!r) throw new SparkError('SPK_PLUGIN_NOT_FOUND', `plugin ${id} not found`, { status: 404 });
    return r;
  }

  /** Graceful stop: plugins in reverse start order. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    this.loop.stop();
    for (const id of [...this.startOrder].reverse()) {
      const r = this.records.get(id)!;
      if (r.scope || r.retryTimer) await this.stopOne(r, 'stopped');
    }
  }

  /** Every running plugin's declared services that keep memory (config.json's services map over the manifest's
   *  `memoryGB`), on the host the topology maps each to now (a service that maps to no configured host holds nothing
   *  there). */
  memoryReservations(): MemoryReservation[] {
    const out: MemoryReservation[] = [];
    for (const r of this.records.values()) {
      if (r.state !== 'running' || !r.plugin) continue;
      for (const [service, d] of Object.entries(r.plugin.manifest.services ?? {})) {
        const memoryGB = this.s.topology.memoryGB(service) ?? d.memoryGB;
        if (!memoryGB) continue;
        try {
          out.push({ service, plugin: r.id, hostId: this.s.topology.service(service, { hostId: d.hostId, port: d.port }).hostId, memoryGB });
        } catch { /* not mapped to a configured host */ }
      }
    }
    return out;
  }

  useExtension<T>(consumer: string, point: ExtensionPoint<T>): T | undefined {
    if (point.id === simControlPoint.id) return this.simControl as T | undefined;
    const r = this.records.get(consumer);
    const allowed = new Set([...(r?.plugin?.manifest.dependsOn ?? []), ...(r?.plugin?.manifest.after ?? [])]);
    for (const other of this.records.values()) {
      if (!other.scope?.provided.has(point.id)) continue;
      if (!allowed.has(other.id)) {
        throw new SparkError('SPK_EXTENSION_NOT_DECLARED', `${consumer} uses ${point.id} from ${other.id} without listing it in dependsOn/after`);
      }
      return other.scope.provided.get(point.id) as T;
    }
    return undefined;
  }

  /** The plugin whose route prefix is the longest one containing `path` (its own `/api/plugins/<id>` or a public
   *  prefix), with that prefix's router. Runs on every plugin request (all proxied traffic): it only compares strings;
   *  the `/api/plugins/<id>` prefix is built once per record. */
  resolve(path: string): PluginRoute | undefined {
    let best: PluginRoute | undefined;
    for (const r of this.records.values()) {
      const scope = r.scope;
      let own = this.ownPrefix.get(r);
      if (own === undefined) this.ownPrefix.set(r, (own = `/api/plugins/${r.id}`));
      if (under(path, own) && (!best || own.length > best.prefix.length)) best = { record: r, scope, prefix: own, router: scope?.router };
      if (scope) {
        for (const [prefix, router] of scope.publicRouters) {
          // A live router also wins over a stopped plugin's remembered prefix of the same length.
          if (under(path, prefix) && (!best || prefix.length > best.prefix.length || (prefix.length === best.prefix.length && !best.router))) best = { record: r, scope, prefix, router };
        }
      } else {
        // Stopped or disabled (its scope is gone): a client of its routes gets 503 naming why, not 404.
        for (const prefix of r.publicPrefixes ?? []) {
          if (under(path, prefix) && (!best || prefix.length > best.prefix.length)) best = { record: r, prefix };
        }
      }
    }
    return best;
  }

  private readonly ownPrefix = new WeakMap<PluginRecord, string>();

  /** 503 problem for a plugin that is not running (its routes exist but must not run). */
  static notRunning(r: PluginRecord): SparkError {
    // A crashed plugin waiting for its restart says when that is.
    const untilRetry = r.state === 'failed' && r.nextRetryAt ? Math.max(1, Math.ceil((Date.parse(r.nextRetryAt) - Date.now()) / 1000)) : undefined;
    return new SparkError('SPK_PLUGIN_NOT_RUNNING', `plugin ${r.id} is ${r.state}${r.reason ? `: ${r.reason}` : ''}`, {
      status: 503, retryAfter: untilRetry ?? (r.state === 'retrying' || r.state === 'starting' ? 5 : 30), details: { plugin: r.id, state: r.state },
    });
  }

  /** Koa middleware for plugin paths no running route answered: a stopped plugin's 503, a 405 naming the methods. */
  dispatcher(): Middleware {
    const middlewareOf = new WeakMap<PluginRouterImpl, Middleware>();
    return async (koa, next) => {
      const hit = this.resolve(koa.path);
      if (!hit) return next();
      koa.state.plugin = hit.record.id;
      if (hit.record.state !== 'running' || !hit.router) throw Kernel.notRunning(hit.record);
      let mw = middlewareOf.get(hit.router);
      if (!mw) {
        mw = hit.router.wrongMethodMiddleware();
        middlewareOf.set(hit.router, mw);
      }
      await mw(koa, next);
    };
  }
}

/** A plugin route prefix that matched a request path. */
export interface PluginRoute {
  record: PluginRecord;
  prefix: string;
  /** Present while the plugin has a scope (registered, starting, running …). */
  scope?: PluginScope;
  router?: PluginRouterImpl;
}

/** `path` is `prefix` or below it (`prefix/...`), without building `prefix + '/'`. */
function under(path: string, prefix: string): boolean {
  return path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === 47 /* / */);
}

/** The message of whatever was thrown; a hostile value (throwing getters, no toString) cannot break the handler. */
function errorText(err: unknown): string {
  try {
    if (err instanceof Error) return String(err.message || err.name);
    return String(err);
  } catch {
    return 'a thrown value that cannot be printed';
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => { t = setTimeout(() => reject(new SparkError('SPK_PLUGIN_TIMEOUT', message)), ms); })]).finally(() => clearTimeout(t));
}

export function pluginsDirOf(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.SPARK_PLUGIN_DIR ?? join(dataDir, 'plugins');
}

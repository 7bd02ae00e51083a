import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import type {
  ClusterView, EventBus, PageSpec, ExtensionPoint, HealthService, JsonStore, StoreOptions, HttpService as HttpApi, JobService, Logger, PluginConfig, PluginContext, PluginRouter,
  SparkPlugin, SshService,
} from '../api/types.js';
import { SparkError, validationError } from '../api/errors.js';
import { PluginRouterImpl } from '../http/PluginRouter.js';
import { bindToPlugin, guardForPlugin, type PluginOwner } from './pluginContext.js';
import { uiRegistrars, type RegisteredSection, type RegisteredTile, type UiContributions } from './uiContributions.js';
import type { HttpResponse, PluginTimers, RouteDefaults } from '../api/types.js';
import { unknownFields } from '../api/unknownFields.js';
import { zodFieldErrors } from '../http/problem.js';
import type { KernelServices } from './services.js';
import { parseLenient } from '../services/config/lenientParse.js';
import { restoreMaskedSecrets } from '../services/config/secrets.js';
import { RESERVED_PREFIXES } from './reserved.js';
import { withDeclaredDefaults } from './declaredServices.js';
import { JsonFileStore } from '../services/store/JsonStore.js';
import { pluginMetrics } from '../services/metrics/pluginMetrics.js';

export type { RegisteredSection, RegisteredTile } from './uiContributions.js';

/** What the kernel does when one instance's code crashes or stalls the loop (see Kernel.crashed, LoopMonitor). */
export interface ScopeFaults {
  crashed(scope: PluginScope, err: unknown, where: string): void;
  entered(plugin: string, where: string): void;
  exited(scope: PluginScope, where: string, ms: number): void;
}

/** Everything one plugin registered, plus its disposables. Created fresh for every (re)start. */
export class PluginScope implements PluginOwner, UiContributions {
  readonly router: PluginRouterImpl;
  readonly publicRouters = new Map<string, PluginRouterImpl>();
  readonly tiles: RegisteredTile[] = [];
  readonly pages: PageSpec[] = [];
  readonly sections: RegisteredSection[] = [];
  readonly startFns: Array<() => Promise<void> | void> = [];
  readonly stopFns: Array<() => Promise<void> | void> = [];
  readonly disposers: Array<() => Promise<void> | void> = [];
  readonly provided = new Map<string, unknown>();
  /** True while `register` runs: I/O is refused then (declare, then start). */
  registering = true;
  /** Calls that tried I/O during register (reported by the contract checker). */
  readonly ioDuringRegister: string[] = [];
  private configValue: unknown;
  private readonly configWatchers = new Set<(n: unknown, p: unknown) => void | Promise<void>>();
  readonly ctx: PluginContext<unknown>;
  readonly log: Logger;
  /** Set when the instance is torn down: its late callbacks are dropped, not blamed on the next instance. */
  disposed = false;
  private readonly timerHandles = new Set<NodeJS.Timeout>();

  constructor(readonly plugin: SparkPlugin, private readonly k: KernelServices, readonly dataDir: string, private readonly faults?: ScopeFaults) {
    const id = plugin.manifest.id;
    this.log = k.log.child({ plugin: id });
    this.router = new PluginRouterImpl(id, `/api/plugins/${id}`, this.log);
    this.configValue = parseLenient(plugin.configSchema, k.config.pluginRaw(id), this.log, `plugins.${id}`);
    mkdirSync(dataDir, { recursive: true });
    this.ctx = this.buildContext();
  }

  get id(): string {
    return this.plugin.manifest.id;
  }

  crashed(err: unknown, where: string): void {
    if (this.faults) this.faults.crashed(this, err, where);
    else this.log.error('plugin callback failed', { where, error: (err as Error)?.message ?? String(err) });
  }

  entered(where: string): void {
    this.faults?.entered(this.id, where);
  }

  exited(where: string, ms: number): void {
    this.faults?.exited(this, where, ms);
  }

  /** `ctx.timers`: guarded callbacks, unref'd, cleared on dispose. */
  private timers(): PluginTimers {
    const make = (repeat: boolean) => (fn: () => unknown, ms: number) => {
      const where = repeat ? `interval timer (${ms} ms)` : `timer (${ms} ms)`;
      const guarded = guardForPlugin(this, where, fn);
      const t: NodeJS.Timeout = repeat ? setInterval(guarded, ms) : setTimeout(() => { this.timerHandles.delete(t); guarded(); }, ms);
      t.unref();
      this.timerHandles.add(t);
      return () => { clearTimeout(t); this.timerHandles.delete(t); };
    };
    return { setTimeout: make(false), setInterval: make(true) };
  }

  /** An upstream body whose listeners run as this plugin's code (its events come from a pooled socket that may have
   *  been opened for another plugin). */
  private ownBody(res: HttpResponse): HttpResponse {
    const body = res.body;
    const emit = body.emit;
    const owner = bindToPlugin(this, `stream callback of an upstream body`, (ev: string | symbol, args: unknown[]) => emit.call(body, ev, ...args));
    body.emit = function (ev: string | symbol, ...args: unknown[]) { return owner(ev, args); } as typeof body.emit;
    return res;
  }

  currentConfig(): unknown {
    return this.configValue;
  }

  /** Validate a full slice from the API (strict: field errors), persist, then tell the plugin. */
  async applyConfig(input: unknown): Promise<unknown> {
    const restored = restoreMaskedSecrets(input, this.configValue, this.k.jsonSchemaOf(this.id) as never);
    const r = (this.plugin.configSchema as z.ZodType).safeParse(restored);
    // A setting this plugin does not have is refused by name (it would be stored and silently ignored).
    const unknown = unknownFields(this.plugin.configSchema as z.ZodType, restored);
    if (!r.success || unknown.length) throw validationError([...(r.success ? [] : zodFieldErrors(r.error)), ...unknown]);
    const prev = this.configValue;
    await this.k.config.setPluginSlice(this.id, restored);
    this.configValue = r.data;
    for (const fn of this.configWatchers) {
      try { await fn(r.data, prev); } catch (e) { this.log.error('config watcher failed', { error: (e as Error).message }); }
    }
    return r.data;
  }

  private guardIo(what: string): void {
    if (this.registering) {
      this.ioDuringRegister.push(what);
      throw new SparkError('SPK_IO_DURING_REGISTER', `${this.id}: ${what} during register(); do I/O in lifecycle.onStart`, { status: 500 });
    }
  }

  private buildContext(): PluginContext<unknown> {
    const id = this.id;
    const k = this.k;
    const scope = this;

    const config: PluginConfig<unknown> = {
      get: () => scope.configValue,
      watch: (fn) => {
        const own = bindToPlugin(scope, 'config watcher', fn);
        scope.configWatchers.add(own);
        return () => scope.configWatchers.delete(own);
      },
      update: async (patch) => scope.applyConfig({ ...(scope.configValue as object), ...(patch as object) }),
    };

    const ssh: SshService = {
      exec: (hostId, cmd, opts) => { scope.guardIo('ssh.exec'); return k.ssh.exec(hostId, cmd, opts); },
      stream: (hostId, cmd, opts) => { scope.guardIo('ssh.stream'); return k.ssh.stream(hostId, cmd, opts && scope.ownSshCallbacks(opts)); },
      onConnectionChange: (fn) => { const off = k.ssh.onConnectionChange(guardForPlugin(scope, 'ssh connection listener', fn)); scope.disposers.push(off); return off; },
      publicKey: () => k.keyPair.publicKey,
      hostKeys: { list: () => k.hostKeys.list(), publicKey: (hostId) => k.hostKeys.openssh(hostId), trust: async (hostId) => { const ok = await k.hostKeys.trust(hostId); k.ssh.reset(hostId); if (!ok) throw new SparkError('SPK_SSH_NO_KEY_CHANGE', `no changed host key pending for ${hostId}`, { status: 409 }); } },
      installKey: (hostId, password, opts) => { scope.guardIo('ssh.installKey'); return k.ssh.installKey(hostId, password, opts); },
    };

    const http: HttpApi = {
      request: (u, p, o) => { scope.guardIo('http.request'); return k.http.request(u, p, o).then((res) => scope.ownBody(res)); },
      fetchJson: (u, p, s, o) => { scope.guardIo('http.fetchJson'); return k.http.fetchJson(u, p, s, o); },
      fetchJsonText: (u, p, s, o) => { scope.guardIo('http.fetchJsonText'); return k.http.fetchJsonText(u, p, s, o); },
      proxy: (c, u, o) => k.http.proxy(c, u, o),
    };

    const events: EventBus = {
      emit: (type, data) => {
        if (!type.startsWith(`${id}.`)) throw new SparkError('SPK_EVENT_NAMESPACE', `event type must start with "${id}."`, { status: 500 });
        k.events.emit(type, data, id);
      },
      on: (prefix, fn) => { const off = k.events.on(prefix, guardForPlugin(scope, `event handler for "${prefix}"`, fn)); scope.disposers.push(off); return off; },
    };

    const jobs: JobService = {
      start: (spec) => k.jobs.start(id, { ...spec, run: bindToPlugin(scope, `job ${spec.kind}`, spec.run) }),
      wait: (jid) => k.jobs.wait(jid),
      get: (jid) => k.jobs.get(jid),
      list: (kind) => k.jobs.list({ plugin: id, kind }),
      cancel: (jid, reason) => (k.jobs.get(jid)?.plugin === id ? k.jobs.cancel(jid, reason) : false),
      schedule: (spec) => k.jobs.schedule(id, { ...spec, run: bindToPlugin(scope, `scheduled job ${spec.name}`, spec.run) }, (stop) => scope.disposers.push(stop)),
    };

    const health: HealthService = {
      register: (spec) => {
        if (!spec.timeoutMs) this.log.debug('health check without explicit timeout; default 3 s applies', { check: spec.name });
        k.health.register(id, { ...spec, check: bindToPlugin(scope, `health check ${spec.name}`, spec.check) });
      },
      report: (name, result, meta) => { k.health.report(id, name, result, meta); },
      runNow: (name) => k.health.runNow(id, name),
      get: (name) => k.health.get(id, name),
      list: () => k.health.list(id),
      transitions: (opts) => k.health.transitions(opts),
    };

    const cluster: ClusterView = {
      hosts: () => k.topology.hosts(),
      host: (hid) => k.topology.host(hid),
      service: (name, defaults) => k.topology.service(name, withDeclaredDefaults(scope.plugin.manifest.services, name, defaults)),
      memoryReservations: () => k.memoryReservations(),
      watch: (fn) => { const off = k.topology.watch(fn); scope.disposers.push(off); return off; },
    };

    const publicRoutes = (prefix: `/${string}`, defaults?: RouteDefaults): PluginRouter => {
      if (!/^\/[a-z0-9][a-z0-9/_.-]*$/i.test(prefix) || prefix.endsWith('/') || prefix.includes('..')) {
        throw new SparkError('SPK_ROUTE_PREFIX', `${id}: invalid public prefix ${prefix}`, { status: 500 });
      }
      if (RESERVED_PREFIXES.some((r) => prefix === r || prefix.startsWith(r + '/'))) {
        throw new SparkError('SPK_ROUTE_CONFLICT', `${id}: public prefix ${prefix} is reserved by the kernel`, { status: 500 });
      }
      let r = scope.publicRouters.get(prefix);
      if (!r) scope.publicRouters.set(prefix, (r = new PluginRouterImpl(id, prefix, scope.log)));
      return scope.ownRoutes(r, defaults);
    };

    const { tiles, pages } = uiRegistrars(scope, id, scope);

    const stores = new Map<string, JsonFileStore<unknown>>();
    let storesFlushOnStop = false;
    const ctx: PluginContext<unknown> = {
      id,
      dataDir: this.dataDir,
      simulated: k.simulated,
      config,
      log: this.log,
      cluster,
      ssh,
      http,
      events,
      jobs,
      health,
      routes: this.ownRoutes(this.router),
      publicRoutes,
      tiles,
      pages,
      lifecycle: { onStart: (fn) => void scope.startFns.push(fn), onStop: (fn) => void scope.stopFns.push(fn) },
      onDispose: (fn) => void scope.disposers.push(fn),
      timers: this.timers(),
      provide: <T>(point: ExtensionPoint<T>, impl: T) => {
        if (!scope.registering) throw new SparkError('SPK_EXTENSION_LATE', `${id}: provide() only during register`, { status: 500 });
        scope.provided.set(point.id, impl);
      },
      use: <T>(point: ExtensionPoint<T>): T | undefined => k.useExtension<T>(id, point),
      store: <T>(key: string, opts: StoreOptions<T>): JsonStore<T> => {
        // One object per key (writes to one file stay in one queue); removing the file forgets it.
        let s = stores.get(key) as JsonFileStore<T> | undefined;
        if (!s) {
          if (!storesFlushOnStop) {
            storesFlushOnStop = true;
            scope.disposers.push(async () => { await Promise.all([...stores.values()].map((x) => x.flush())); });
          }
          s = new JsonFileStore<T>(scope.dataDir, key, opts, () => stores.delete(key));
          stores.set(key, s as JsonFileStore<unknown>);
        }
        return s;
      },
      metrics: pluginMetrics(id, k.metrics, (msg, meta) => scope.log.warn(msg, meta)),
      history: {
        series: (spec) => { scope.disposers.push(k.history.declare(id, spec)); },
        mark: (kind, text) => k.history.mark(id, kind, text),
      },
    };
    return ctx;
  }

  /** Route handlers run as this plugin's code (the request itself arrives in no plugin's context). */
  private ownRoutes(router: PluginRouterImpl, defaults: RouteDefaults = {}): PluginRouter {
    return {
      add: (spec, handler) => router.add(defaults.scope && !spec.scope ? { ...spec, scope: defaults.scope } : spec, bindToPlugin(this, `route ${spec.method} ${router.prefix}${spec.path}`, handler as (c: never) => unknown) as typeof handler),
    };
  }

  /** ssh.stream output callbacks run as this plugin's code (the pooled connection may have been opened by another). */
  ownSshCallbacks<O extends { onStdout?(c: string): void; onStderr?(c: string): void; onLine?(l: string, s: 'stdout' | 'stderr'): void }>(o: O): O {
    const out = { ...o };
    if (o.onStdout) out.onStdout = bindToPlugin(this, 'ssh stdout callback', o.onStdout.bind(o));
    if (o.onStderr) out.onStderr = bindToPlugin(this, 'ssh stderr callback', o.onStderr.bind(o));
    if (o.onLine) out.onLine = bindToPlugin(this, 'ssh line callback', o.onLine.bind(o));
    return out;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const t of this.timerHandles) clearTimeout(t);
    this.timerHandles.clear();
    for (const fn of this.disposers.splice(0).reverse()) {
      try { await fn(); } catch (e) { this.log.warn('dispose callback failed', { error: (e as Error).message }); }
    }
  }
}

export function pluginDataDir(dataDir: string, id: string): string {
  return join(dataDir, 'plugins-data', id);
}

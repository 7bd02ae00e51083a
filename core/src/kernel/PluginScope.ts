import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import type {
  ClusterView, EventBus, ExtensionPoint, HealthService, HttpService as HttpApi, JobService, Logger, PluginConfig, PluginContext, PluginRouter,
  SparkPlugin, SshService, TileSpec,
} from '../api/types.js';
import { SparkError, validationError } from '../api/errors.js';
import { PluginRouterImpl } from '../http/PluginRouter.js';
import { zodFieldErrors } from '../http/problem.js';
import type { KernelServices } from './services.js';
import { parseLenient } from '../services/config/lenientParse.js';
import { restoreMaskedSecrets } from '../services/config/secrets.js';
import { RESERVED_PREFIXES } from './reserved.js';

export interface RegisteredTile extends TileSpec {
  plugin: string;
  moduleUrl: string;
}

/** Everything one plugin registered, plus its disposables. Created fresh for every (re)start. */
export class PluginScope {
  readonly router: PluginRouterImpl;
  readonly publicRouters = new Map<string, PluginRouterImpl>();
  readonly tiles: RegisteredTile[] = [];
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

  constructor(readonly plugin: SparkPlugin, private readonly k: KernelServices, readonly dataDir: string) {
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

  currentConfig(): unknown {
    return this.configValue;
  }

  /** Validate a full slice from the API (strict: field errors), persist, then tell the plugin. */
  async applyConfig(input: unknown): Promise<unknown> {
    const restored = restoreMaskedSecrets(input, this.configValue, this.k.jsonSchemaOf(this.id) as never);
    const r = (this.plugin.configSchema as z.ZodType).safeParse(restored);
    if (!r.success) throw validationError(zodFieldErrors(r.error));
    const prev = this.configValue;
    await this.k.config.setPluginSlice(this.id, restored);
    this.configValue = r.data;
    for (const fn of this.configWatchers) {
      try { await fn(r.data, prev); } catch (e) { this.log.error('config watcher failed', { error: (e as Error).message }); }
    }
    await this.k.hooks.configChanged.promise(this.id, r.data).catch((e) => this.log.warn('configChanged tap failed', { error: (e as Error).message }));
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
        scope.configWatchers.add(fn);
        return () => scope.configWatchers.delete(fn);
      },
      update: async (patch) => scope.applyConfig({ ...(scope.configValue as object), ...(patch as object) }),
    };

    const ssh: SshService = {
      exec: (hostId, cmd, opts) => { scope.guardIo('ssh.exec'); return k.ssh.exec(hostId, cmd, opts); },
      stream: (hostId, cmd, opts) => { scope.guardIo('ssh.stream'); return k.ssh.stream(hostId, cmd, opts); },
      onConnectionChange: (fn) => { const off = k.ssh.onConnectionChange(fn); scope.disposers.push(off); return off; },
      publicKey: () => k.keyPair.publicKey,
      hostKeys: { list: () => k.hostKeys.list(), publicKey: (hostId) => k.hostKeys.openssh(hostId), trust: async (hostId) => { const ok = await k.hostKeys.trust(hostId); k.ssh.reset(hostId); if (!ok) throw new SparkError('SPK_SSH_NO_KEY_CHANGE', `no changed host key pending for ${hostId}`, { status: 409 }); } },
      installKey: (hostId, password, opts) => { scope.guardIo('ssh.installKey'); return k.ssh.installKey(hostId, password, opts); },
    };

    const http: HttpApi = {
      request: (u, p, o) => { scope.guardIo('http.request'); return k.http.request(u, p, o); },
      fetchJson: (u, p, s, o) => { scope.guardIo('http.fetchJson'); return k.http.fetchJson(u, p, s, o); },
      proxy: (c, u, o) => k.http.proxy(c, u, o),
    };

    const events: EventBus = {
      emit: (type, data) => {
        if (!type.startsWith(`${id}.`)) throw new SparkError('SPK_EVENT_NAMESPACE', `event type must start with "${id}."`, { status: 500 });
        k.events.emit(type, data, id);
      },
      on: (prefix, fn) => { const off = k.events.on(prefix, fn); scope.disposers.push(off); return off; },
    };

    const jobs: JobService = {
      start: (spec) => k.jobs.start(id, spec),
      wait: (jid) => k.jobs.wait(jid),
      get: (jid) => k.jobs.get(jid),
      list: (kind) => k.jobs.list({ plugin: id, kind }),
      cancel: (jid, reason) => (k.jobs.get(jid)?.plugin === id ? k.jobs.cancel(jid, reason) : false),
      schedule: (spec) => k.jobs.schedule(id, spec, (stop) => scope.disposers.push(stop)),
    };

    const health: HealthService = {
      register: (spec) => {
        if (!spec.timeoutMs) this.log.debug('health check without explicit timeout; default 3 s applies', { check: spec.name });
        k.health.register(id, spec);
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
      service: (name, defaults) => k.topology.service(name, defaults),
      watch: (fn) => { const off = k.topology.watch(fn); scope.disposers.push(off); return off; },
    };

    const publicRoutes = (prefix: `/${string}`): PluginRouter => {
      if (!/^\/[a-z0-9][a-z0-9/_.-]*$/i.test(prefix) || prefix.endsWith('/') || prefix.includes('..')) {
        throw new SparkError('SPK_ROUTE_PREFIX', `${id}: invalid public prefix ${prefix}`, { status: 500 });
      }
      if (RESERVED_PREFIXES.some((r) => prefix === r || prefix.startsWith(r + '/'))) {
        throw new SparkError('SPK_ROUTE_CONFLICT', `${id}: public prefix ${prefix} is reserved by the kernel`, { status: 500 });
      }
      let r = scope.publicRouters.get(prefix);
      if (!r) scope.publicRouters.set(prefix, (r = new PluginRouterImpl(id, prefix, scope.log)));
      return r;
    };

    const tiles = {
      register: (t: TileSpec) => {
        if (!t.tag.startsWith(`spark-${id}-`)) throw new SparkError('SPK_TILE_TAG', `${id}: tile tag ${t.tag} must start with spark-${id}-`, { status: 500 });
        if (!/^[a-z0-9][a-z0-9._/-]*\.js$/i.test(t.module) || t.module.includes('..')) throw new SparkError('SPK_TILE_MODULE', `${id}: tile module must be a relative .js path`, { status: 500 });
        scope.tiles.push({ ...t, plugin: id, moduleUrl: `/plugins/${id}/ui/${t.module}` });
      },
    };

    const ctx: PluginContext<unknown> = {
      id,
      dataDir: this.dataDir,
      simulated: k.simulated,
      config,
      log: this.log,
      cluster,
      ssh,
      http,
      hooks: k.hooks,
      events,
      jobs,
      health,
      routes: this.router,
      publicRoutes,
      tiles,
      lifecycle: { onStart: (fn) => void scope.startFns.push(fn), onStop: (fn) => void scope.stopFns.push(fn) },
      onDispose: (fn) => void scope.disposers.push(fn),
      provide: <T>(point: ExtensionPoint<T>, impl: T) => {
        if (!scope.registering) throw new SparkError('SPK_EXTENSION_LATE', `${id}: provide() only during register`, { status: 500 });
        scope.provided.set(point.id, impl);
      },
      use: <T>(point: ExtensionPoint<T>): T | undefined => k.useExtension<T>(id, point),
      history: {
        series: (spec) => { scope.disposers.push(k.history.declare(id, spec)); },
        mark: (kind, text) => k.history.mark(id, kind, text),
      },
    };
    return ctx;
  }

  async dispose(): Promise<void> {
    for (const fn of this.disposers.splice(0).reverse()) {
      try { await fn(); } catch (e) { this.log.warn('dispose callback failed', { error: (e as Error).message }); }
    }
  }
}

export function pluginDataDir(dataDir: string, id: string): string {
  return join(dataDir, 'plugins-data', id);
}

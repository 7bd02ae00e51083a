import 'reflect-metadata';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Koa from 'koa';
import { inject, injectable, type DependencyContainer } from 'tsyringe';
import { z } from 'zod';
import type { ExtensionPoint, Logger, SimControl, SparkPlugin } from '../api/types.js';
import { ConfigService } from '../services/config/ConfigService.js';
import { EventBusImpl } from '../services/events/EventBus.js';
import { HealthRegistry } from '../services/health/HealthRegistry.js';
import { HttpService } from '../services/http/HttpService.js';
import { JobRegistry } from '../services/jobs/JobService.js';
import { Metrics } from '../services/metrics/Metrics.js';
import { HistoryStore } from '../services/history/HistoryStore.js';
import { kernelSeries } from '../services/history/kernelSeries.js';
import { HostKeyStore } from '../services/ssh/hostKeys.js';
import { SshPool } from '../services/ssh/SshPool.js';
import { JsonLogger, levelFromEnv, type LogLevel, type LogSink } from '../services/logger/Logger.js';
import { registerCoreServices, TOKENS, type SshTuning } from './container.js';
import { Topology } from './Topology.js';
import { installCrashGuard } from './CrashGuard.js';
import { registerFaultMetrics } from './faultMetrics.js';
import type { KernelServices } from './services.js';
import { Kernel, pluginsDirOf } from './Kernel.js';
import { discoverBuiltins, discoverInstalled, type PluginCandidate } from './discovery.js';
import { repoRoot } from './paths.js';
import { kernelRoutes } from '../routes/kernelRoutes.js';
import { isAuthenticated, sessionIdOf } from '../http/security.js';
import { Sessions } from '../http/sessions.js';
import { Clients } from '../services/clients/Clients.js';
import type { UsageMeterOptions } from '../services/clients/UsageMeter.js';
import { closeStreamsWhere } from '../http/routeContext.js';
import { staticUi } from '../http/static.js';
import { errorAnswer } from '../http/requestFrame.js';
import { RequestPipeline } from '../http/RequestPipeline.js';
import type { Exchange } from '../http/exchange.js';
import type { PluginRouterImpl } from '../http/PluginRouter.js';
import { DEFAULT_BODY_TIMEOUTS, watchRequestBody } from '../http/bodyTimeout.js';
import { HostAllowList, refuseForeignHost } from '../http/hostCheck.js';
import { startSimulation, type Simulation } from './simulation.js';
import { startSimulationProcess } from './simulationProcess.js';
import type { PluginRecord } from './Kernel.js';

/** The pipeline's Exchange of a request handed to Koa (its answer is recorded by the pipeline). */
const fallbackExchange = new WeakMap<IncomingMessage, Exchange>();

/** Root services resolved through the container with explicit tokens (works under tsc, esbuild, vitest alike). */
@injectable()
class CoreServices {
  constructor(
    @inject(TOKENS.log) readonly log: Logger,
    @inject(TOKENS.config) readonly config: ConfigService,
    @inject(TOKENS.events) readonly events: EventBusImpl,
    @inject(TOKENS.health) readonly health: HealthRegistry,
    @inject(TOKENS.jobs) readonly jobs: JobRegistry,
    @inject(TOKENS.http) readonly http: HttpService,
    @inject(TOKENS.ssh) readonly ssh: SshPool,
    @inject(TOKENS.hostKeys) readonly hostKeys: HostKeyStore,
    @inject(TOKENS.keyPair) readonly keyPair: KernelServices['keyPair'],
    @inject(TOKENS.metrics) readonly metrics: Metrics,
    @inject(TOKENS.topology) readonly topology: Topology,
    @inject(TOKENS.history) readonly history: HistoryStore,
  ) {}
}

export interface AppOptions {
  dataDir: string;
  /** Loop stalls: recorded from `loopStallMs` (default 200), fail the plugin from `loopBlockFailMs` (default 1500). */
  loopStallMs?: number;
  loopBlockFailMs?: number;
  /** The kernel's own state is in doubt after an uncaught error: default prints the line and exits 70. */
  onFatal?: (line: string) => void;
  port?: number;
  bind?: string;
  /** true = always simulate, false = never, 'auto' (default) = simulate when the config names no hosts. */
  simulate?: boolean | 'auto';
  /** Built-in plugin ids to load (default: all), plus plugin objects passed in directly (tests). */
  builtins?: string[];
  inline?: SparkPlugin[];
  /** Third-party plugins dir (default `$SPARK_PLUGIN_DIR` or `<dataDir>/plugins`); false = none. */
  pluginsDir?: string | false;
  logLevel?: LogLevel;
  logSink?: LogSink;
  retryBaseMs?: number;
  retryMaxMs?: number;
  ssh?: SshTuning;
  simHostCount?: number;
  /** The simulated Sparks start out busy serving, as a real cluster usually is (`npm start`; tests start empty). */
  simPreload?: boolean;
  /** Run the simulated cluster in its own process (`npm start`), so a crashing fake cannot end this one. */
  simProcess?: boolean;
  /** Request bodies: 408 after this long without a byte (default 30 s) / when not complete after this long (15 min). */
  bodyIdleTimeoutMs?: number;
  bodyTotalTimeoutMs?: number;
  /** Usage batching (tests shorten or lengthen the interval). */
  usage?: UsageMeterOptions;
  /** Per-client limits and usage counting (default on; `SPARK_ACCOUNTING=off` turns them off, for the benchmark that
   *  measures what they cost). Keys and scopes apply either way. */
  accounting?: boolean;
  /** Host names answered besides the built-in ones (default: `SPARK_ALLOWED_HOSTS`); see HostAllowList. */
  allowedHosts?: string[];
}

export class App {
  readonly container: DependencyContainer;
  readonly services: KernelServices;
  readonly kernel: Kernel;
  readonly koa: Koa;
  readonly log: Logger;
  readonly version: string;
  private server?: Server;
  private removeCrashGuard?: () => void;
  /** Browser sessions: ended by logout, all of them by a token change. */
  private readonly sessions = new Sessions();
  /** Named clients, their keys, limits and usage (clients.sqlite). */
  readonly clients: Clients;
  private readonly accounting: boolean;
  private kernelRouter?: PluginRouterImpl;
  sim?: Simulation;
  private simulated = false;
  private readonly jsonSchemaCache = new Map<string, unknown>();
  /** The per-request 'http' line is debug: when debug is off, its record is never built (every proxied request). */
  private readonly httpDebug: boolean;

  constructor(readonly o: AppOptions) {
    this.log = new JsonLogger(o.logLevel ?? levelFromEnv(), { svc: 'spark-control' }, o.logSink);
    // A fresh checkout has no .data yet (and SPARK_DATA_DIR may name a folder still to be made): the stores below open
    // their files in it at once. Owner-only, as it holds the SSH key and the client keys' hashes.
    mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
    this.container = registerCoreServices(o.dataDir, this.log, o.ssh);
    this.clients = new Clients(o.dataDir, this.log.child({ area: 'clients' }), o.usage);
    this.accounting = o.accounting ?? process.env.SPARK_ACCOUNTING !== 'off';
    const core = this.container.resolve(CoreServices);
    this.version = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')).version;
    const services: KernelServices = {
      log: core.log, config: core.config, events: core.events, health: core.health, jobs: core.jobs, http: core.http,
      ssh: core.ssh, hostKeys: core.hostKeys, keyPair: core.keyPair, metrics: core.metrics, topology: core.topology, history: core.history,
      get simulated() { return app.simulated; },
      jsonSchemaOf: (id) => this.jsonSchemaOf(id),
      useExtension: <T>(consumer: string, point: ExtensionPoint<T>) => this.kernel.useExtension<T>(consumer, point),
      memoryReservations: () => this.kernel.memoryReservations(),
    };
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const app = this;
    this.services = services;
    this.kernel = new Kernel(services, { dataDir: o.dataDir, retryBaseMs: o.retryBaseMs, retryMaxMs: o.retryMaxMs, loopStallMs: o.loopStallMs, loopBlockFailMs: o.loopBlockFailMs });
    this.httpDebug = (o.logLevel ?? levelFromEnv()) === 'debug';
    this.koa = this.buildKoa();
    core.metrics.gauge('spark_plugins', 'Plugins by state', () => {
      const counts = new Map<string, number>();
      for (const p of this.kernel.list()) counts.set(p.state, (counts.get(p.state) ?? 0) + 1);
      return [...counts].map(([state, n]) => [{ state }, n]);
    });
    core.metrics.gauge('spark_sse_subscribers', 'Open event-bus subscriptions', () => [[{}, core.events.subscriberCount]]);
    core.metrics.gauge('process_resident_memory_bytes', 'Resident memory', () => [[{}, process.memoryUsage().rss]]);
    registerFaultMetrics(core.metrics, this.kernel);
    kernelSeries(core.history, core.metrics);
  }

  isSimulated(): boolean {
    return this.simulated;
  }

  jsonSchemaOf(id: string): unknown {
    if (this.jsonSchemaCache.has(id)) return this.jsonSchemaCache.get(id);
    const p = this.kernel.get(id)?.plugin;
    if (!p) return undefined;
    let js: unknown;
    try { js = z.toJSONSchema(p.configSchema as z.ZodType, { io: 'input', unrepresentable: 'any' }); } catch { js = {}; }
    this.jsonSchemaCache.set(id, js);
    return js;
  }

  private buildKoa(): Koa {
    const app = new Koa({ proxy: false });
    const s = this.services;
    app.silent = true;
    const routes = (this.kernelRouter = kernelRoutes({
      kernel: this.kernel, s, version: this.version, simulated: () => this.simulated, simulator: () => (this.simulated ? this.sim?.status?.() : undefined), sessions: this.sessions,
      loggedOut: (id) => closeStreamsWhere(this.server, (h) => sessionIdOf(h) === id),
      clients: this.clients,
      keyRevoked: () => closeStreamsWhere(this.server, (h) => this.clients.keyStateOf(h) === 'inactive'),
      jsonSchemas: () => Object.fromEntries(this.kernel.list().filter((p) => p.plugin).map((p) => [p.id, this.jsonSchemaOf(p.id)])),
    }));
    // Koa answers only what no declared route does, after the request pipeline's guards let it in (see
    // RequestPipeline): errors → kernel routes' 405/OPTIONS → plugins (a stopped one's 503, 405) → static UI.
    app.use(async (ctx, next) => {
      const ex = fallbackExchange.get(ctx.req);
      ctx.state.requestId = ex?.requestId ?? '';
      try {
        await next();
      } finally {
        if (ex) ex.plugin = String(ctx.state.plugin ?? (ctx.path.startsWith('/api/') || ctx.path === '/health' || ctx.path === '/metrics' ? 'kernel' : 'static'));
      }
    });
    app.use(async (ctx, next) => {
      try {
        await next();
        if (ctx.status === 404 && ctx.body === undefined) {
          throw Object.assign(new Error(`no route for ${ctx.method} ${ctx.path}`), { status: 404 });
        }
      } catch (err) {
        const a = errorAnswer(err, { requestId: ctx.state.requestId, plugin: ctx.state.plugin }, this.log);
        if (ctx.headerSent || !ctx.writable) {
          ctx.res.destroy();
          return;
        }
        ctx.status = a.status;
        if (a.retryAfter) ctx.set('Retry-After', String(a.retryAfter));
        ctx.type = a.contentType;
        ctx.body = a.body;
      }
    });
    app.use(routes.wrongMethodMiddleware());
    app.use(this.kernel.dispatcher());
    app.use(staticUi(join(repoRoot(), 'dist/ui'), (id) => {
      const r = this.kernel.get(id);
      return r?.scope ? r.candidate.uiDir : undefined;
    }));
    return app;
  }

  private candidates(): PluginCandidate[] {
    const out: PluginCandidate[] = [...discoverBuiltins(this.o.builtins)];
    for (const p of this.o.inline ?? []) out.push({ source: 'inline', name: p.manifest?.id ?? 'inline', uiDir: join(this.o.dataDir, 'inline-ui', p.manifest?.id ?? 'x'), plugin: p });
    if (this.o.pluginsDir !== false) out.push(...discoverInstalled(this.o.pluginsDir ?? pluginsDirOf(this.o.dataDir)));
    return out;
  }

  /** Boot: decide simulation, load plugins, start the simulated services, start plugins, listen. */
  async start(): Promise<{ url: string; port: number }> {
    const s = this.services;
    this.removeCrashGuard ??= installCrashGuard({ log: this.log.child({ area: 'kernel' }), fatal: this.o.onFatal ?? exitForRestart });
    const cfg = s.config.get();
    const mode = this.o.simulate ?? (process.env.SPARK_SIMULATE === '1' ? true : process.env.SPARK_SIMULATE === '0' ? false : 'auto');
    this.simulated = mode === true || (mode === 'auto' && cfg.hosts.length === 0);
    await this.kernel.load(this.candidates());
    if (this.simulated) {
      this.sim = await this.startSim(this.kernel.list().filter((r) => r.plugin && (r.state === 'discovered')));
      s.topology.set({ hosts: this.sim.hosts, services: {} });
      s.topology.setSimulatedServices(this.sim.servicePorts);
      this.kernel.setSimControl(this.sim.control as SimControl);
    } else {
      s.topology.set(s.config.cluster());
    }
    s.config.onChange((section) => {
      if (section === 'auth') {
        // A new (or no) token: no session of the old one stays, and streams the new one would refuse are closed.
        this.sessions.clear();
        const token = s.config.get().auth.token;
        if (token) closeStreamsWhere(this.server, (h) => !isAuthenticated(h, token, this.sessions) && this.clients.keyStateOf(h) !== 'active');
        return;
      }
      if (section !== 'hosts' && section !== 'services') return;
      if (this.simulated && s.config.get().hosts.length > 0 && mode === 'auto') {
        this.simulated = false;
        this.log.info('real hosts configured: leaving the simulated cluster');
      }
      if (!this.simulated) {
        s.topology.set(s.config.cluster());
        s.ssh.reset();
      }
    });
    await this.kernel.startAll();
    s.history.start();
    this.clients.start();
    const port = await this.listen();
    const url = `http://${this.o.bind === '0.0.0.0' || !this.o.bind ? '127.0.0.1' : this.o.bind}:${port}`;
    return { url, port };
  }

  /** In its own process when asked (`npm start`), unless a plugin passed as an object (tests) brings simulators: those
   *  cannot cross a process boundary, so the whole simulated cluster then runs in this process, as tests expect. */
  private async startSim(plugins: PluginRecord[]): Promise<Simulation> {
    const s = this.services;
    const log = this.log.child({ area: 'sim' });
    const common = { dataDir: this.o.dataDir, publicKey: s.keyPair.publicKey, hostCount: this.o.simHostCount ?? 2, demo: this.o.simPreload ?? false, log };
    const inProcess = plugins.filter((r) => !r.candidate.entry && r.plugin?.simulators?.length).map((r) => r.id);
    if (!this.o.simProcess || inProcess.length) {
      if (this.o.simProcess) log.warn('simulated cluster runs in this process: plugins passed as objects bring simulators', { plugins: inProcess });
      return startSimulation({ ...common, plugins: plugins.map((r) => r.plugin!) });
    }
    return startSimulationProcess({
      ...common, entries: plugins.map((r) => r.candidate.entry!),
      onStatus: (st) => s.events.emit('sim.state', st),
      onRestarted: (hosts, servicePorts) => {
        const moved = hosts.filter((h) => s.topology.host(h.id)?.sshPort !== h.sshPort).map((h) => h.id);
        s.topology.set({ hosts, services: {} });
        s.topology.setSimulatedServices(servicePorts);
        for (const id of moved) s.ssh.reset(id);
      },
    });
  }

  private listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const koa = this.koa.callback();
      const s = this.services;
      const pipeline = new RequestPipeline({
        kernel: this.kernel, kernelRoutes: this.kernelRouter!, metrics: s.metrics, log: this.log, token: () => s.config.get().auth.token,
        clients: this.clients, accounting: this.accounting, sessions: this.sessions, debug: this.httpDebug,
        fallback: (req, res, ex) => { fallbackExchange.set(req, ex); return koa(req, res); },
      });
      const allowedHosts = this.o.allowedHosts ? new HostAllowList(this.o.allowedHosts) : HostAllowList.fromEnv();
      const bodyTimeouts = { ...DEFAULT_BODY_TIMEOUTS, ...(this.o.bodyIdleTimeoutMs ? { idleMs: this.o.bodyIdleTimeoutMs } : {}), ...(this.o.bodyTotalTimeoutMs ? { totalMs: this.o.bodyTotalTimeoutMs } : {}) };
      const server = createServer((req, res) => {
        if (refuseForeignHost(req, res, allowedHosts)) return;
        watchRequestBody(req, res, bodyTimeouts);
        pipeline.handle(req, res);
      });
      server.keepAliveTimeout = 65_000;
      server.requestTimeout = 0; // uploads and SSE streams are long; per-route limits apply instead
      server.on('error', reject);
      server.listen(this.o.port ?? 0, this.o.bind ?? '127.0.0.1', () => {
        this.server = server;
        resolve((server.address() as { port: number }).port);
      });
    });
  }

  /** Graceful stop: readiness first, plugins in reverse order, then transports and the simulated cluster. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server) {
      server.close();
      server.closeIdleConnections?.();
    }
    await this.kernel.stopAll();
    this.services.health.stopAll();
    this.services.history.close();
    this.clients.close();
    await this.services.ssh.close();
    await this.services.http.close();
    server?.closeAllConnections?.();
    await this.sim?.stop();
    this.container.dispose?.();
    this.removeCrashGuard?.();
    this.removeCrashGuard = undefined;
  }
}

function exitForRestart(line: string): void {
  process.stderr.write(`${line}\n`);
  process.exit(70);
}

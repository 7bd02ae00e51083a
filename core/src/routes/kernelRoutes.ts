import { z } from 'zod';
import { SparkError } from '../api/errors.js';
import { PLUGIN_ID } from '../api/ids.js';
import { SPARK_PLUGIN_API_VERSION } from '../api/definePlugin.js';
import type { Kernel } from '../kernel/Kernel.js';
import type { KernelServices } from '../kernel/services.js';
import { PluginRouterImpl } from '../http/PluginRouter.js';
import { buildOpenApi } from '../http/openapi.js';
import { sessionCookie, sessionIdOf } from '../http/security.js';
import type { Sessions } from '../http/sessions.js';
import { FailureLimiter } from '../services/rateLimit.js';
import { maskSecrets } from '../services/config/secrets.js';
import { clusterSchema } from '../config/schema.js';
import { codes } from '../api/codes.js';
import type { SimulatorStatus } from '../kernel/simulation.js';
import { historyRoutes } from './historyRoutes.js';
import { clientRoutes } from './clientRoutes.js';
import * as rs from './responseSchemas.js';
import type { Clients } from '../services/clients/Clients.js';

const idParams = z.object({ id: z.string().regex(PLUGIN_ID, 'not a plugin id') });
const jobParams = z.object({ id: z.string().uuid('not a job id') });

export interface KernelRouteDeps {
  kernel: Kernel;
  s: KernelServices;
  version: string;
  simulated: () => boolean;
  /** The simulator process's state when it runs in one (absent otherwise): the dashboard's banner while it is down. */
  simulator?: () => SimulatorStatus | undefined;
  jsonSchemas: () => Record<string, unknown>;
  sessions: Sessions;
  /** A session was revoked: close what it had open. */
  loggedOut: (sessionId: string) => void;
  clients: Clients;
  /** A client's key was revoked: close what it had open. */
  keyRevoked: (clientId: string) => void;
}

/** The kernel's own REST surface, declared with the same router (validation, problem+json, OpenAPI) as plugins. */
export function kernelRoutes(d: KernelRouteDeps): PluginRouterImpl {
  const r = new PluginRouterImpl('kernel', '', d.s.log);
  const { kernel, s } = d;

  const pluginHealth = (id: string) => s.health.list(id);

  r.add({ method: 'GET', path: '/health', summary: 'Overall health (no auth)', unauthenticated: true, response: rs.healthResponse }, (c) => {
    const status = s.health.overall();
    const failed = kernel.list().filter((p) => p.state === 'failed').map((p) => p.id);
    if (status === 'down') c.status(503);
    const { recent: _recent, ...loop } = kernel.loop.snapshot();
    return { status, version: d.version, simulated: d.simulated(), simulator: d.simulator?.(), plugins: Object.fromEntries(kernel.list().map((p) => [p.id, p.state])), failedPlugins: failed, loop };
  });

  r.add({ method: 'GET', path: '/api/info', summary: 'Version, API version, simulation and auth flags', response: rs.infoResponse }, () => ({
    name: 'Spark Control', version: d.version, apiVersion: SPARK_PLUGIN_API_VERSION, simulated: d.simulated(), simulator: d.simulator?.(), authEnabled: !!s.config.get().auth.token,
  }));

  r.add({ method: 'GET', path: '/api/health', summary: 'Every health check, last result', response: rs.checksResponse }, () => ({ status: s.health.overall(), checks: s.health.list() }));

  r.add({
    method: 'GET', path: '/api/connectivity', summary: 'Connectivity log (up/down transitions)', response: rs.connectivityResponse,
    query: z.object({ limit: z.coerce.number().int().min(1).max(2000).default(200), hostId: z.string().max(32).optional() }),
  }, (c) => ({ transitions: s.health.transitions(c.query) }));

  r.add({ method: 'GET', path: '/api/plugins', summary: 'Plugins with state, source and versions', response: rs.pluginsResponse }, () =>
    kernel.list().map((p) => ({ ...kernel.describe(p), health: pluginHealth(p.id) })));

  r.add({ method: 'GET', path: '/api/plugins/:id/health', params: idParams, summary: 'One plugin\'s health checks', response: rs.pluginHealthResponse }, (c) => {
    const p = kernel.get(c.params.id);
    if (!p) throw new SparkError(codes.PLUGIN_NOT_FOUND, `plugin ${c.params.id} not found`, { status: 404 });
    const checks = pluginHealth(p.id);
    const status = p.state !== 'running' ? 'down' : checks.some((x) => x.status === 'down') ? 'down' : checks.some((x) => x.status !== 'up') ? 'degraded' : 'up';
    return { plugin: p.id, state: p.state, status, checks };
  });

  for (const action of ['restart', 'enable', 'disable'] as const) {
    r.add({ method: 'POST', path: `/api/plugins/:id/${action}`, params: idParams, summary: `${action} a plugin`, response: rs.pluginStatus }, async (c) => {
      const p = await kernel[action](c.params.id);
      return kernel.describe(p);
    });
  }

  r.add({ method: 'GET', path: '/api/ui/tiles', summary: 'Tiles of running plugins', response: rs.tilesResponse }, () =>
    kernel.list().flatMap((p) =>
      p.state === 'running' && p.scope
        ? p.scope.tiles.filter((t) => !t.hidden?.()).map((t) => ({ plugin: p.id, tag: t.tag, moduleUrl: t.moduleUrl, title: t.title, cols: t.cols ?? 1, order: t.order ?? 100, state: p.state }))
        : [],
    ).sort((a, b) => a.order - b.order));

  r.add({ method: 'GET', path: '/api/ui/pages', summary: 'Page kinds and the sections on them, of running plugins', response: rs.pagesResponse }, () => {
    const running = kernel.list().filter((p) => p.state === 'running' && p.scope);
    const pages = running.flatMap((p) => p.scope!.pages.map((pg) => ({ ...pg, plugin: p.id })));
    // A section on a kind nobody serves now would never show: left out, as its page is.
    const sections = running.flatMap((p) => p.scope!.sections.filter((sec) => pages.some((pg) => pg.kind === sec.kind) && !sec.hidden?.())
      .map((sec) => ({ plugin: p.id, kind: sec.kind, tag: sec.tag, moduleUrl: sec.moduleUrl, order: sec.order ?? 100 })))
      .sort((a, b) => a.order - b.order);
    return { pages, sections };
  });

  r.add({ method: 'GET', path: '/api/config', summary: 'Current config, secrets masked', response: rs.configResponse }, () => {
    const cfg = s.config.get();
    const schemas = d.jsonSchemas();
    const plugins: Record<string, unknown> = {};
    for (const p of kernel.list()) if (p.scope) plugins[p.id] = maskSecrets(p.scope.currentConfig(), schemas[p.id] as never);
    return { hosts: cfg.hosts, services: cfg.services, auth: { tokenSet: !!cfg.auth.token }, plugins, disabled: cfg.plugins.disabled, simulated: d.simulated() };
  });

  r.add({ method: 'GET', path: '/api/config/schema', summary: 'JSON Schemas for the settings forms', response: rs.configSchemaResponse }, () => ({
    cluster: z.toJSONSchema(clusterSchema, { io: 'input', unrepresentable: 'any' }),
    plugins: d.jsonSchemas(),
  }));

  r.add({ method: 'PUT', path: '/api/config/plugins/:id', params: idParams, body: z.record(z.string(), z.unknown()), summary: 'Replace a plugin\'s settings', response: rs.pluginConfigResponse }, async (c) => {
    const p = kernel.get(c.params.id);
    if (!p?.scope) throw new SparkError(codes.PLUGIN_NOT_FOUND, `plugin ${c.params.id} is not loaded`, { status: 404 });
    const value = await p.scope.applyConfig(c.body);
    return maskSecrets(value, d.jsonSchemas()[p.id] as never);
  });

  r.add({ method: 'PUT', path: '/api/config/cluster', body: z.unknown(), summary: 'Replace hosts and service map (Configure Sparks)', response: rs.clusterConfigResponse }, async (c) => {
    const next = await s.config.updateCluster(c.body);
    return next;
  });

  r.add({ method: 'PUT', path: '/api/config/auth', body: z.object({ token: z.union([z.literal(''), z.string().min(16).max(256)], { error: 'empty (turns auth off) or 16 to 256 characters' }).optional() }), summary: 'Set (16 to 256 characters) or clear (empty) the API bearer token', response: rs.authResponse }, async (c) => {
    await s.config.updateAuth({ token: c.body.token ?? '' });
    return { tokenSet: !!s.config.get().auth.token };
  });

  // 10 wrong tokens per client address in 5 minutes, then 429 until the oldest leaves the window.
  const loginGuesses = new FailureLimiter('logins', 10, 5 * 60_000);
  r.add({ method: 'POST', path: '/api/login', body: z.object({ token: z.string().min(1, 'required').max(256) }), summary: 'Browser login with the token or an admin client\'s API key: sets an HttpOnly session cookie (10 wrong tries per 5 minutes, then 429)', unauthenticated: true, response: rs.loginResponse }, (c) => {
    const token = s.config.get().auth.token;
    if (!token) return { ok: true, authEnabled: false };
    const client = c.req.socket.remoteAddress ?? '';
    loginGuesses.check(client);
    const key = d.clients.registry.byKey(c.body.token);
    const adminKey = typeof key === 'object' && key.scopes.includes('admin');
    if (c.body.token !== token && !adminKey) {
      loginGuesses.fail(client);
      throw new SparkError(codes.UNAUTHORIZED, 'wrong token', { status: 401 });
    }
    c.setHeader('Set-Cookie', sessionCookie(d.sessions.create()));
    return { ok: true, authEnabled: true };
  });

  r.add({ method: 'POST', path: '/api/logout', summary: 'End the session (on the server too) and clear its cookie', response: rs.okResponse }, (c) => {
    const id = sessionIdOf(c.headers);
    if (id) {
      d.sessions.revoke(id);
      d.loggedOut(id);
    }
    c.setHeader('Set-Cookie', sessionCookie());
    return { ok: true };
  });

  r.add({ method: 'GET', path: '/api/events', summary: 'Server-sent events: plugin.state, health.changed, job.update, <plugin>.*',
    query: z.object({ prefix: z.string().max(64).optional() }) }, (c) => {
    const sse = c.sse();
    // Unnamed frames (EventSource `message`): the type travels inside the data, so one listener sees every event.
    sse.send('message', { type: 'hello', at: new Date().toISOString(), data: { version: d.version } });
    const off = s.events.on(c.query.prefix ?? '', (e) => sse.send('message', e));
    sse.signal.addEventListener('abort', off, { once: true });
    return undefined;
  });

  r.add({ method: 'GET', path: '/api/jobs', query: z.object({ plugin: z.string().max(32).optional(), kind: z.string().max(64).optional() }), summary: 'Jobs (running and recent)', response: rs.jobsResponse }, (c) => s.jobs.list(c.query));
  r.add({ method: 'GET', path: '/api/jobs/:id', params: jobParams, summary: 'One job', response: rs.jobSnapshot }, (c) => {
    const j = s.jobs.get(c.params.id);
    if (!j) throw new SparkError(codes.JOB_NOT_FOUND, `job ${c.params.id} not found`, { status: 404 });
    return j;
  });
  r.add({ method: 'POST', path: '/api/jobs/:id/cancel', params: jobParams, summary: 'Cancel a job', response: rs.jobSnapshot }, (c) => {
    const j = s.jobs.get(c.params.id);
    if (!j) throw new SparkError(codes.JOB_NOT_FOUND, `job ${c.params.id} not found`, { status: 404 });
    if (!s.jobs.cancel(c.params.id)) throw new SparkError(codes.JOB_FINISHED, `job ${c.params.id} already ended (${j.state})`, { status: 409 });
    return s.jobs.get(c.params.id);
  });

  r.add({ method: 'GET', path: '/api/openapi.json', summary: 'This document', response: rs.openApiResponse }, () => {
    const routes = [...r.routes, ...kernel.list().flatMap((p) => (p.scope ? [...p.scope.router.routes, ...[...p.scope.publicRouters.values()].flatMap((x) => x.routes)] : []))];
    return buildOpenApi(routes, { version: d.version });
  });

  historyRoutes(r, s);
  clientRoutes(r, d.clients, d.keyRevoked);

  r.add({ method: 'GET', path: '/metrics', summary: 'Prometheus metrics' }, (c) => {
    c.setHeader('Content-Type', 'text/plain; version=0.0.4; charset=utf-8');
    return s.metrics.render();
  });

  return r;
}

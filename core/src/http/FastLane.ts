import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../api/types.js';
import type { Kernel } from '../kernel/Kernel.js';
import type { Metrics } from '../services/metrics/Metrics.js';
import { Exchange, splitTarget } from './exchange.js';
import { KERNEL_PLUGIN_ACTIONS, type CompiledRoutes, type RouteMatch } from './PluginRouter.js';
import { recordRequest, requestIdOf, sendError } from './requestFrame.js';
import { checkSameOrigin, identifyRequest, SECURITY_HEADERS } from './security.js';
import type { Clients } from '../services/clients/Clients.js';
import type { Sessions } from './sessions.js';

const SECURITY_FLAT = SECURITY_HEADERS.flat();

export interface FastLaneDeps {
  kernel: Kernel;
  metrics: Metrics;
  log: Logger;
  token: () => string | undefined;
  clients: Clients;
  /** Limits and usage counting on (off: only keys and scopes apply). */
  accounting: boolean;
  /** Browser sessions (the cookie is checked against them). */
  sessions?: Sessions;
  /** Build the per-request debug log record (off: skipped entirely). */
  debug: boolean;
}

/**
 * Serves a running plugin's declared routes straight from Node's request event, before Koa: the same guards (security
 * headers, token, same-origin), the same validation, handler and answers, without Koa's context, middleware chain and
 * router dispatch — measured as about a third of the proxy's CPU per request on a small answer. Anything that is not
 * plainly such a route (the dashboard, kernel routes, a stopped plugin's 503, 404/405) is left to Koa, which answers
 * it as before.
 */
export class FastLane {
  constructor(private readonly d: FastLaneDeps) {}

  /** true = this request is being answered here; false = Koa's. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url;
    if (!url || url.charCodeAt(0) !== 47 /* / */) return false;
    const [path, search] = splitTarget(url);
    const hit = this.d.kernel.resolve(path);
    if (!hit?.router || hit.record.state !== 'running') return false;
    // The kernel answers /api/plugins/<id>/{health,restart,...} itself, even where a plugin's wildcard would match.
    if (hit.prefix === `/api/plugins/${hit.record.id}` && isKernelAction(path.slice(hit.prefix.length))) return false;
    const compiled = hit.router.compile();
    const m = compiled.match(req.method ?? 'GET', path);
    if (!m) return false;
    void this.serve(new Exchange(req, res, requestIdOf(req), path, search), compiled, m);
    return true;
  }

  private async serve(ex: Exchange, compiled: CompiledRoutes, m: RouteMatch): Promise<void> {
    const { req, res } = ex;
    const t0 = performance.now();
    ex.deferBaseHeaders(['X-Request-Id', ex.requestId, ...SECURITY_FLAT]);
    try {
      // The kernel's guards answer as the kernel (problem+json), before the route's own error style applies.
      ex.client = identifyRequest(this.d.clients, this.d.token(), ex.path, req, res, this.d.sessions);
      if (this.d.accounting) ex.clients = this.d.clients;
      checkSameOrigin(req.method ?? 'GET', req.headers);
      compiled.describe(ex, m.route);
      await compiled.run(ex, m);
    } catch (err) {
      ex.applyBaseHeaders();
      sendError(res, err, ex, this.d.log);
    }
    recordRequest(this.d.metrics, this.d.log, this.d.debug, {
      requestId: ex.requestId, plugin: ex.plugin, sensitive: ex.sensitive, routeTemplate: ex.routeTemplate,
      method: req.method ?? 'GET', path: ex.path, status: res.statusCode, ms: performance.now() - t0,
    });
  }
}

/** `/restart`, `/health/` … (what follows a plugin's own prefix), compared as @koa/router would: any case, one
 *  trailing slash allowed. */
function isKernelAction(rest: string): boolean {
  const r = rest.toLowerCase().replace(/\/$/, '');
  return KERNEL_PLUGIN_ACTIONS.some((a) => r === `/${a}`);
}

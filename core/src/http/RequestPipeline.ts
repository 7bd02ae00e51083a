import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../api/types.js';
import type { Kernel } from '../kernel/Kernel.js';
import type { Metrics } from '../services/metrics/Metrics.js';
import type { Clients } from '../services/clients/Clients.js';
import { Exchange, splitTarget } from './exchange.js';
import { KERNEL_PLUGIN_ACTIONS, type CompiledRoutes, type PluginRouterImpl, type RouteMatch } from './PluginRouter.js';
import { recordRequest, requestIdOf, sendError } from './requestFrame.js';
import { checkSameOrigin, identifyRequest, isAuthenticated, SECURITY_HEADERS } from './security.js';
import type { Sessions } from './sessions.js';

const SECURITY_FLAT = SECURITY_HEADERS.flat();

export interface RequestPipelineDeps {
  kernel: Kernel;
  /** The kernel's own routes (info, config, plugins, clients, history …). */
  kernelRoutes: PluginRouterImpl;
  metrics: Metrics;
  log: Logger;
  token: () => string | undefined;
  clients: Clients;
  /** Limits and usage counting on (off: only keys and scopes apply). */
  accounting: boolean;
  sessions: Sessions;
  /** What no declared route answers: the dashboard's files, a stopped plugin's 503, 404 and 405 (Koa). The request
   *  was let in by the guards; its Exchange is passed along so the answer is recorded here. */
  fallback(req: IncomingMessage, res: ServerResponse, ex: Exchange): Promise<void>;
  /** Build the per-request debug log record (off: skipped entirely). */
  debug: boolean;
}

/**
 * The one chain every request goes through: id and security headers → who is it (token, key, session; 401) →
 * same-origin check for writes (403) → dispatch to a declared route (a running plugin's, else the kernel's) →
 * otherwise the fallback → one error answer and one metric/log line. Declared routes run on the raw Node objects
 * (Exchange) without Koa's context and middleware: measured as about a third of the proxy's CPU per request on a
 * small answer.
 */
export class RequestPipeline {
  private readonly kernelCompiled: CompiledRoutes;

  constructor(private readonly d: RequestPipelineDeps) {
    this.kernelCompiled = d.kernelRoutes.compile();
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const [path, search] = url.charCodeAt(0) === 47 /* / */ ? splitTarget(url) : otherTarget(url);
    void this.serve(new Exchange(req, res, requestIdOf(req), path, search));
  }

  private async serve(ex: Exchange): Promise<void> {
    const { req, res } = ex;
    const t0 = performance.now();
    const method = req.method ?? 'GET';
    ex.deferBaseHeaders(['X-Request-Id', ex.requestId, ...SECURITY_FLAT]);
    try {
      const hit = this.route(method, ex.path);
      // The guards answer as the kernel (problem+json) before a route's own error style applies.
      const token = this.d.token();
      if (token && this.wantsLoginPage(method, ex.path, req, token)) {
        ex.applyBaseHeaders();
        res.writeHead(302, { Location: '/login.html', 'Content-Type': 'text/html; charset=utf-8' });
        res.end('Redirecting to <a href="/login.html">/login.html</a>.');
      } else {
        ex.client = identifyRequest(this.d.clients, token, ex.path, req, res, this.d.sessions);
        if (this.d.accounting) ex.clients = this.d.clients;
        checkSameOrigin(method, req.headers);
        if (hit) {
          hit.compiled.describe(ex, hit.m.route);
          await hit.compiled.run(ex, hit.m);
        } else {
          ex.applyBaseHeaders();
          await this.d.fallback(req, res, ex);
        }
      }
    } catch (err) {
      ex.applyBaseHeaders();
      sendError(res, err, ex, this.d.log);
    }
    recordRequest(this.d.metrics, this.d.log, this.d.debug, {
      requestId: ex.requestId, plugin: ex.plugin, sensitive: ex.sensitive, routeTemplate: ex.routeTemplate,
      method, path: ex.path, status: res.statusCode, ms: performance.now() - t0,
    });
  }

  /** A running plugin's declared route for this request, else one of the kernel's; undefined when neither declares it. */
  private route(method: string, path: string): { compiled: CompiledRoutes; m: RouteMatch } | undefined {
    const hit = this.d.kernel.resolve(path);
    // The kernel answers /api/plugins/<id>/{health,restart,...} itself, even where a plugin's wildcard would match.
    if (hit?.router && hit.record.state === 'running' && !(hit.prefix === `/api/plugins/${hit.record.id}` && isKernelAction(path.slice(hit.prefix.length)))) {
      const compiled = hit.router.compile();
      const m = compiled.match(method, path);
      if (m) return { compiled, m };
    }
    if (!this.kernelCompiled.mayMatch(path)) return undefined;
    const m = this.kernelCompiled.match(method, path);
    return m ? { compiled: this.kernelCompiled, m } : undefined;
  }

  /** The dashboard page itself sends a browser without a session to the login page instead of a 401. */
  private wantsLoginPage(method: string, path: string, req: IncomingMessage, token: string): boolean {
    return method === 'GET' && (path === '/' || path === '/index.html') && acceptsHtml(req.headers.accept) && !isAuthenticated(req.headers, token, this.d.sessions);
  }
}

/** An absolute-form target (`http://host/a?b`) is its path and query, as Koa reads it; anything else (`*`) is no path
 *  any route has. */
function otherTarget(url: string): [string, string] {
  try {
    const u = new URL(url);
    return [u.pathname, u.search.slice(1)];
  } catch {
    return [url, ''];
  }
}

/** `/restart`, `/health/` … (what follows a plugin's own prefix), compared as @koa/router would: any case, one
 *  trailing slash allowed. */
function isKernelAction(rest: string): boolean {
  const r = rest.toLowerCase().replace(/\/$/, '');
  return KERNEL_PLUGIN_ACTIONS.some((a) => r === `/${a}`);
}

/** Whether an Accept header takes HTML, as content negotiation reads it: no header takes anything; otherwise
 *  text/html, text/* or *\/* with a q above 0. */
export function acceptsHtml(accept: string | undefined): boolean {
  if (!accept) return true;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (type !== 'text/html' && type !== 'text/*' && type !== '*/*') continue;
    const q = params.find((p) => p.startsWith('q='));
    if (!q || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

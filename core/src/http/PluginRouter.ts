import { parse as parseQuery } from 'node:querystring';
import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { z } from 'zod';
import type { Logger, Out, OutOr, RawParams, RawQuery, PluginRouter, RouteHandler, RouteSpec } from '../api/types.js';
import { requireScope } from '../services/clients/scopes.js';
import { SparkError, validationError } from '../api/errors.js';
import { knownKeysAt, unknownFieldError, unknownFields } from '../api/unknownFields.js';
import { sendResult, type Exchange } from './exchange.js';
import { KernelRouteContext, readJsonBody } from './routeContext.js';
import { codes } from '../api/codes.js';

export interface RegisteredRoute {
  plugin: string;
  prefix: string;
  spec: RouteSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>;
  fullPath: string;
}

const DEFAULT_MAX_BODY = 1024 * 1024;
/** Sub-paths of /api/plugins/<id> the kernel answers itself (plugin management); plugins cannot declare them. */
export const KERNEL_PLUGIN_ACTIONS = ['restart', 'enable', 'disable', 'health'];

function check<T extends z.ZodType | undefined>(schema: T, value: unknown, where: 'body' | 'query' | 'params', passthrough = false): unknown {
  if (!schema) return value;
  const r = schema.safeParse(value);
  const prefix = where === 'body' ? [] : [where];
  // No silently ignored input: a key the schema would drop is refused by name (listed with any other error), unless
  // the route passes extra fields on by a published protocol.
  const unknown = passthrough || where === 'params' ? [] : unknownFields(schema, value, prefix);
  if (!r.success) {
    const errors = r.error.issues.flatMap((i) => i.code === 'unrecognized_keys'
      ? i.keys.map((k) => unknownFieldError([...prefix, ...i.path.map(String)], k, knownKeysAt(schema, i.path)))
      : [{ field: [...prefix, ...i.path.map(String)].join('.'), message: i.message }]);
    throw validationError([...errors, ...unknown.filter((u) => !errors.some((e) => e.field === u.field))], where);
  }
  if (unknown.length) throw validationError(unknown, where);
  return r.data;
}

/** A plugin's router for one prefix. Routes are collected at register time, then compiled to one @koa/router. */
export class PluginRouterImpl implements PluginRouter {
  readonly routes: RegisteredRoute[] = [];
  private readonly seen = new Set<string>();

  constructor(readonly plugin: string, readonly prefix: string, private readonly log: Logger) {}

  add<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, P extends z.ZodType | undefined = undefined>(
    spec: RouteSpec<B, Q, P>,
    handler: RouteHandler<Out<B>, OutOr<Q, RawQuery>, OutOr<P, RawParams>>,
  ): void {
    const fullPath = (this.prefix + spec.path).replace(/\/+$/, '') || '/';
    const own = `/api/plugins/${this.plugin}`;
    if (this.prefix === own && KERNEL_PLUGIN_ACTIONS.some((a) => fullPath === `${own}/${a}`)) {
      throw new SparkError(codes.ROUTE_RESERVED, `${this.plugin}: ${fullPath} is reserved for the kernel's plugin actions`, { status: 500 });
    }
    const k = `${spec.method} ${fullPath}`;
    if (this.seen.has(k)) throw new SparkError(codes.ROUTE_CONFLICT, `route ${k} declared twice by ${this.plugin}`, { status: 500 });
    this.seen.add(k);
    this.routes.push({ plugin: this.plugin, prefix: this.prefix, spec: spec as RegisteredRoute['spec'], fullPath });
    this.handlers.set(k, handler as RouteHandler<unknown, unknown, unknown>);
  }

  private readonly handlers = new Map<string, RouteHandler<unknown, unknown, unknown>>();
  private compiled: CompiledRoutes | undefined;

  /** Matcher + runner for these routes, built once on first use (routes are fixed after register). */
  compile(): CompiledRoutes {
    return (this.compiled ??= new CompiledRoutes(this.routes, this.handlers, this.log));
  }

  /** Koa middleware for a request no route of these answered (the request pipeline runs every matched route; Koa
   *  sees only misses): 405 naming the methods declared at the path, 200 with `Allow` for OPTIONS, else on to the next
   *  middleware. */
  wrongMethodMiddleware(): Middleware {
    const compiled = this.compile();
    return async (koa, next) => {
      if (!compiled.mayMatch(koa.path)) return next();
      // A route matching here read the target differently from the pipeline (an absolute-form target whose dot
      // segments the pipeline resolved): the pipeline's reading is the one its guards checked, so nothing runs here.
      if (compiled.match(koa.method, koa.path)) return next();
      const allow = compiled.methodsAt(koa.path);
      if (!allow) return next();
      koa.set('Allow', allow);
      if (koa.method === 'OPTIONS') { koa.status = 200; koa.body = ''; return; }
      throw new SparkError(codes.METHOD_NOT_ALLOWED, `${koa.method} is not allowed on ${koa.path} (allowed: ${allow})`, { status: 405 });
    };
  }
}

interface CompiledRoute {
  spec: RegisteredRoute['spec'];
  fullPath: string;
  plugin: string;
  handler: RouteHandler<unknown, unknown, unknown>;
  /** Read and validate a JSON body before the handler runs. */
  readsJson: boolean;
}

export interface RouteMatch {
  route: CompiledRoute;
  params: Record<string, string>;
}

/** One router's routes, matched with @koa/router's own path rules and run without Koa (see Exchange). */
export class CompiledRoutes {
  readonly router = new Router();
  private readonly byLayer = new Map<unknown, CompiledRoute>();
  private readonly heads: Set<string> | undefined;

  constructor(routes: RegisteredRoute[], handlers: Map<string, RouteHandler<unknown, unknown, unknown>>, private readonly log: Logger) {
    const unused: Middleware = () => undefined;
    for (const r of routes) {
      const spec = r.spec;
      const mode = spec.bodyMode ?? (spec.body ? 'json' : 'raw');
      const route: CompiledRoute = {
        spec, fullPath: r.fullPath, plugin: r.plugin, handler: handlers.get(`${spec.method} ${r.fullPath}`)!,
        readsJson: mode === 'json' && spec.method !== 'GET' && spec.method !== 'DELETE',
      };
      // The router only matches (layer → route); its middleware never runs.
      this.router.register(r.fullPath, [spec.method], unused as never);
      this.byLayer.set(this.router.stack[this.router.stack.length - 1], route);
    }
    this.heads = firstSegments(routes.map((r) => r.fullPath));
  }

  /** False when no route can match the path: the kernel's router would otherwise run each of its route regexes on a
   *  path like /v1/chat/completions only to find nothing. When every route starts with a literal first segment, a
   *  path whose first segment is none of them cannot match. @koa/router matches case-insensitively, hence lowercase. */
  mayMatch(path: string): boolean {
    return !this.heads || this.heads.has(firstSegment(path));
  }

  /** The route for this method and path (HEAD finds GET routes), with decoded path params; undefined when none. */
  match(method: string, path: string): RouteMatch | undefined {
    const found = this.router.match(path, method);
    if (!found.route) return undefined;
    for (const layer of found.pathAndMethod) {
      const route = this.byLayer.get(layer);
      if (route) return { route, params: layer.params(path, layer.captures(path), {}) };
    }
    return undefined;
  }

  /** The methods some route answers at this path (for 405 / OPTIONS), or undefined when no route has the path. */
  methodsAt(path: string): string | undefined {
    const methods = new Set<string>();
    for (const layer of this.router.match(path, '').path) for (const m of layer.methods) methods.add(m);
    return methods.size ? [...methods].join(', ') : undefined;
  }

  /** Copies the route's error style and privacy onto the exchange (errors and logs are shaped by them). */
  describe(ex: Exchange, route: CompiledRoute): void {
    ex.plugin = route.plugin;
    ex.errorStyle = route.spec.errorStyle ?? 'problem';
    ex.sensitive = !!route.spec.sensitive;
    ex.routeTemplate = route.fullPath;
    ex.maxBodyBytes = route.spec.maxBodyBytes;
  }

  /** Validates input, runs the handler and writes its answer. Throws (nothing written yet) for the caller to map. */
  async run(ex: Exchange, m: RouteMatch): Promise<void> {
    const { spec, handler } = m.route;
    // Accounting off: scopes still apply, limits and counting do not.
    if (ex.clients) ex.clients.admit(ex.client, spec, ex.req.method ?? spec.method, ex.plugin, ex.res);
    else requireScope(ex.client, spec, ex.req.method ?? spec.method);
    const c = new KernelRouteContext(ex, this.log);
    c.params = check(spec.params, m.params, 'params');
    // A plain object (querystring's has no prototype), as handlers always got.
    c.query = check(spec.query, ex.search ? { ...parseQuery(ex.search) } : {}, 'query', spec.passthrough);
    // A raw body over the declared limit is refused before anything reads it (it used to reach the upstream).
    if (!m.route.readsJson && spec.maxBodyBytes && Number(ex.req.headers['content-length'] ?? 0) > spec.maxBodyBytes) {
      throw new SparkError(codes.BODY_TOO_LARGE, `request body is larger than ${spec.maxBodyBytes} bytes`, { status: 413, details: { limit: spec.maxBodyBytes } });
    }
    if (m.route.readsJson) {
      const raw = await readJsonBody(ex.req, spec.maxBodyBytes ?? DEFAULT_MAX_BODY);
      c.body = check(spec.body, raw, 'body', spec.passthrough);
    } else if (spec.body && (spec.bodyMode ?? 'json') === 'json') {
      c.body = check(spec.body, undefined, 'body');
    }
    sendResult(ex, await handler(c));
  }
}

/** Lowercased first path segment: '/api/x' → 'api', '/health/' → 'health', '/' → ''. */
function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return (end === -1 ? path.slice(1) : path.slice(1, end)).toLowerCase();
}

/** The literal first segments of route paths, or undefined when one of them is not literal (a param, wildcard,
 *  optional group or escape), in which case any path may match. */
function firstSegments(paths: string[]): Set<string> | undefined {
  const out = new Set<string>();
  for (const p of paths) {
    const seg = firstSegment(p);
    if (/[:*(){}?+\\[\]!@;,]/.test(seg)) return undefined;
    out.add(seg);
  }
  return out;
}

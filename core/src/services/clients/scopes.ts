import type { ClientScope, HttpMethod, RequestClient } from '../../api/types.js';
import { SparkError } from '../../api/errors.js';
import { codes } from '../../api/codes.js';

export const CLIENT_SCOPES = ['admin', 'inference', 'read'] as const satisfies readonly ClientScope[];

/** The scope a route needs when it declares none: reading is `read`, anything else `admin`. */
export function routeScopeOf(method: string, declared: ClientScope | undefined): ClientScope {
  return declared ?? (isRead(method) ? 'read' : 'admin');
}

function isRead(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

/** Whether a client holding `held` may call a route that needs `needed` with this method (see ClientScope). */
export function scopeAllows(held: readonly ClientScope[], needed: ClientScope, method: HttpMethod | string): boolean {
  if (held.includes('admin')) return true;
  if (needed === 'inference' && held.includes('inference')) return true;
  return needed !== 'admin' && isRead(method) && held.includes('read');
}

/** What a route declares about who may call it. */
export interface ScopedRoute { method: string; scope?: ClientScope; unauthenticated?: boolean }

/** 403 `SPK_CLIENT_SCOPE` unless the client's scopes cover the route (`unauthenticated` routes are open to anyone
 *  who got past identification). */
export function requireScope(client: Pick<RequestClient, 'scopes'>, route: ScopedRoute, method: string): void {
  if (route.unauthenticated) return;
  const needed = routeScopeOf(route.method, route.scope);
  if (!scopeAllows(client.scopes, needed, method)) {
    throw new SparkError(codes.CLIENT_SCOPE, `this key's scopes (${client.scopes.join(', ') || 'none'}) do not include what this route needs (${needed})`, { status: 403 });
  }
}

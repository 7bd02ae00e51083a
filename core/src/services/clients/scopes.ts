import type { ClientScope, HttpMethod } from '../../api/types.js';

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

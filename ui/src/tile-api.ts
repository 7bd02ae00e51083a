import type { SparkTileApi, SparkTileEvent } from '../../core/src/api/tile.js';

/** Error thrown by `api.json` for a problem+json answer; `.fields` maps field → message for 400s. */
export class ApiError extends Error {
  constructor(message: string, readonly status: number, readonly code?: string, readonly fields: Record<string, string> = {}) {
    super(message);
  }
}

type Listener = { prefix: string; cb: (e: SparkTileEvent) => void };

/** One EventSource for the whole page (frames are unnamed; the event type is inside the data); tiles subscribe by
 *  type prefix. EventSource reconnects by itself; `onStatus` drives the "live" dot in the header. */
class EventHub {
  private source?: EventSource;
  private readonly listeners = new Set<Listener>();
  onStatus?: (connected: boolean) => void;

  private open() {
    if (this.source) return;
    const es = new EventSource('/api/events');
    this.source = es;
    es.onopen = () => this.onStatus?.(true);
    es.onerror = () => this.onStatus?.(false);
    es.onmessage = (ev) => {
      let e: SparkTileEvent;
      try { e = JSON.parse(ev.data); } catch { return; }
      if (typeof e.type !== 'string') return;
      for (const l of this.listeners) {
        if (!e.type.startsWith(l.prefix)) continue;
        try { l.cb(e); } catch (err) { console.error('event listener failed', err); }
      }
    };
  }

  subscribe(prefix: string, cb: (e: SparkTileEvent) => void): () => void {
    this.open();
    const l = { prefix, cb };
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

export const events = new EventHub();

/** The kernel's own "log in first" code. Other 401s (an SSH password a Spark refused, an upstream's own auth) are
 *  the tile's business: the page stays, the tile shows the message. */
const KERNEL_AUTH_CODE = 'SPK_UNAUTHORIZED';

/** Sends the browser to the login page only when the kernel itself asks for the token (session expired, or auth was
 *  just switched on); reads a clone, so the caller still gets the whole body. */
async function handleUnauthorized(res: Response) {
  if (res.status !== 401) return;
  const body = await res.clone().json().catch(() => undefined) as { code?: string } | undefined;
  if (body?.code === KERNEL_AUTH_CODE) location.href = '/login.html';
}

/** Without a login (no token set), the dashboard's own requests are counted under this name instead of the
 *  browser's address; a logged-in browser is the `dashboard` client anyway. */
const DASHBOARD_CLIENT_NAME = { 'x-client-name': 'dashboard' };

export async function apiFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(url, { credentials: 'same-origin', ...init, headers: { accept: 'application/json', ...DASHBOARD_CLIENT_NAME, ...(init.headers ?? {}) } });
  await handleUnauthorized(res);
  return res;
}

export async function apiJson<T>(url: string, init: RequestInit & { jsonBody?: unknown } = {}): Promise<T> {
  const { jsonBody, ...rest } = init;
  const res = await apiFetch(url, jsonBody !== undefined ? { ...rest, body: JSON.stringify(jsonBody), headers: { 'content-type': 'application/json', ...(rest.headers ?? {}) } } : rest);
  const text = await res.text();
  let body: any;
  try { body = text ? JSON.parse(text) : undefined; } catch { body = text; }
  if (!res.ok) {
    const fields: Record<string, string> = {};
    for (const e of body?.errors ?? []) fields[e.field] ??= e.message; // the first problem per field is the most useful
    const msg = body?.detail ?? body?.title ?? body?.error?.message ?? `HTTP ${res.status}`;
    throw new ApiError(msg, res.status, body?.code ?? body?.error?.code, fields);
  }
  return body as T;
}

export function createTileApi(pluginId: string): SparkTileApi {
  const base = `/api/plugins/${pluginId}`;
  const url = (p: string) => (p.startsWith('/api/') || p.startsWith('/v1/') || p.startsWith('/health') ? p : base + (p.startsWith('/') ? p : `/${p}`));
  return {
    pluginId,
    base,
    fetch: (p, init) => apiFetch(url(p), init),
    json: (p, init) => apiJson(url(p), init),
    subscribe: (prefix, cb) => events.subscribe(prefix, cb),
  };
}

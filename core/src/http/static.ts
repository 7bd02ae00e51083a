import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import type { Middleware } from 'koa';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.ico': 'image/x-icon', '.map': 'application/json', '.woff2': 'font/woff2', '.txt': 'text/plain; charset=utf-8',
};

/** Resolve `rel` inside `root`, refusing anything that escapes it. */
export function safeJoin(root: string, rel: string): string | undefined {
  let decoded: string;
  try { decoded = decodeURIComponent(rel); } catch { return undefined; }
  if (decoded.includes('\0')) return undefined;
  const p = normalize(join(root, decoded));
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep) ? p : undefined;
}

function sendFile(ctx: Parameters<Middleware>[0], file: string, cache: string): boolean {
  if (!existsSync(file) || !statSync(file).isFile()) return false;
  ctx.type = TYPES[extname(file)] ?? 'application/octet-stream';
  ctx.set('Cache-Control', cache);
  ctx.length = statSync(file).size;
  ctx.body = createReadStream(file);
  return true;
}

export function buildCsp(scriptHashes: string[]): string {
  return [
    "default-src 'self'",
    `script-src 'self' ${scriptHashes.map((h) => `'${h}'`).join(' ')}`.trim(),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

/** Serves dist/ui (dashboard, vendor Lit) and each plugin's UI dir at /plugins/<id>/ui/. index.html gets the import
 *  map inlined and a CSP that allows exactly that inline script by hash — nothing else inline runs. */
export function staticUi(uiDir: string, pluginUiDir: (id: string) => string | undefined): Middleware {
  let indexCache: { html: string; csp: string; mtime: number } | undefined;
  const renderIndex = () => {
    const file = join(uiDir, 'index.html');
    if (!existsSync(file)) return undefined;
    const mtime = statSync(file).mtimeMs;
    if (indexCache?.mtime === mtime) return indexCache;
    const mapFile = join(uiDir, 'importmap.json');
    const map = existsSync(mapFile) ? readFileSync(mapFile, 'utf8') : '{"imports":{}}';
    const hash = 'sha256-' + createHash('sha256').update(map).digest('base64');
    const html = readFileSync(file, 'utf8').replace('<!--IMPORTMAP-->', `<script type="importmap">${map}</script>`);
    indexCache = { html, csp: buildCsp([hash]), mtime };
    return indexCache;
  };
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    const path = ctx.path;
    if (path === '/' || path === '/index.html') {
      const idx = renderIndex();
      if (!idx) return next();
      ctx.set('Content-Security-Policy', idx.csp);
      ctx.set('Cache-Control', 'no-cache');
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = idx.html;
      return;
    }
    const m = /^\/plugins\/([a-z][a-z0-9-]{1,31})\/ui\/(.+)$/.exec(path);
    if (m) {
      const dir = pluginUiDir(m[1]);
      const file = dir ? safeJoin(dir, m[2]) : undefined;
      if (file && sendFile(ctx, file, 'no-cache')) return;
      return next();
    }
    if (path.startsWith('/api/') || path === '/health' || path === '/metrics') return next();
    const file = safeJoin(uiDir, path.slice(1));
    if (file && sendFile(ctx, file, path.startsWith('/vendor/') ? 'public, max-age=3600' : 'no-cache')) {
      if (path.endsWith('.html')) ctx.set('Content-Security-Policy', buildCsp([]));
      return;
    }
    return next();
  };
}

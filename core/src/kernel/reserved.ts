/** Paths the kernel serves itself; no plugin may claim them as a public prefix. */
export const RESERVED_PREFIXES = [
  '/api/plugins', '/api/config', '/api/events', '/api/ui', '/api/jobs', '/api/info', '/api/health', '/api/connectivity',
  '/api/openapi.json', '/api/login', '/api/logout', '/health', '/metrics', '/plugins', '/vendor', '/login.html', '/app.js', '/index.html',
];

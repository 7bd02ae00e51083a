/** The hash routes of the full pages (`#/<kind>/<value>`, e.g. `#/spark/spark-1`), apart from the page so they test
 *  without a DOM. The kinds are the plugins' (GET /api/ui/pages): the shell knows none of them. */

/** The windows a page offers, in minutes. */
export const RANGES = [['1h', 60], ['6h', 360], ['24h', 1440], ['7d', 10_080], ['30d', 43_200]] as const;
/** The shell's own routes: never a page kind. */
const SHELL_ROUTES = new Set(['plugins', 'clients', 'settings']);

/** `#/spark/spark-1?range=24h` → its parts; an unknown range is the first. */
export function parseDetailRoute(route: string): { kind: string; value: string; range: string } | undefined {
  const m = /^#\/([a-z][a-z0-9-]{1,31})\/([^?]+)(?:\?(.*))?$/.exec(route);
  if (!m || SHELL_ROUTES.has(m[1])) return undefined;
  let value = '';
  try { value = decodeURIComponent(m[2]); } catch { return undefined; }
  const range = new URLSearchParams(m[3] ?? '').get('range') ?? '';
  return { kind: m[1], value, range: RANGES.some(([r]) => r === range) ? range : RANGES[0][0] };
}

/** The hash of a page; the first window is left out (it is the default). */
export function detailLink(kind: string, value: string, range: string): string {
  return `#/${kind}/${encodeURIComponent(value)}${range === RANGES[0][0] ? '' : `?range=${range}`}`;
}

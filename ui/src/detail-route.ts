/** The hash routes of the full pages (`#/spark/<host>`, `#/model/<name>`), apart from the page so they test without a DOM. */

/** The windows a page offers, in minutes. */
export const RANGES = [['1h', 60], ['6h', 360], ['24h', 1440], ['7d', 10_080], ['30d', 43_200]] as const;
/** What each kind of page is about: the label its series carry, and how it is named. */
export const KINDS = { spark: { label: 'host', title: 'Spark', others: 'Other Sparks' }, model: { label: 'model', title: 'Model', others: 'Other models' } } as const;
export type DetailKind = keyof typeof KINDS;

/** `#/spark/spark-1?range=24h` → its parts; an unknown range is the first. */
export function parseDetailRoute(route: string): { kind: DetailKind; value: string; range: string } | undefined {
  const m = /^#\/(spark|model)\/([^?]+)(?:\?(.*))?$/.exec(route);
  if (!m) return undefined;
  let value = '';
  try { value = decodeURIComponent(m[2]); } catch { return undefined; }
  const range = new URLSearchParams(m[3] ?? '').get('range') ?? '';
  return { kind: m[1] as DetailKind, value, range: RANGES.some(([r]) => r === range) ? range : RANGES[0][0] };
}

/** The hash of a page; the first window is left out (it is the default). */
export function detailLink(kind: DetailKind, value: string, range: string): string {
  return `#/${kind}/${encodeURIComponent(value)}${range === RANGES[0][0] ? '' : `?range=${range}`}`;
}

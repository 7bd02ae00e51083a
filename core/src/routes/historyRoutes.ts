import { z } from 'zod';
import type { PluginRouterImpl } from '../http/PluginRouter.js';
import type { KernelServices } from '../kernel/services.js';
import { historyRangeResponse, marksResponse, seriesListResponse } from './responseSchemas.js';

const DAY = 24 * 3600_000;
const rangeQuery = {
  /** ms since the epoch; default: the last hour. */
  from: z.coerce.number().int().min(0).optional(),
  to: z.coerce.number().int().min(0).optional(),
};
const seriesQuery = z.strictObject({
  series: z.string().regex(/^[a-z][a-z0-9-]{0,31}\.[a-z][a-z0-9_]{0,63}$/, 'a series name: <plugin>.<name>, as GET /api/history/series lists them'),
  ...rangeQuery,
  points: z.coerce.number().int().min(10).max(5000).default(600),
});
const marksQuery = z.strictObject({ ...rangeQuery, plugin: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/).optional() });

function window(q: { from?: number; to?: number }): { from: number; to: number } {
  const to = q.to ?? Date.now();
  const from = q.from ?? to - 3600_000;
  return { from: Math.max(from, to - 31 * DAY), to };
}

/** The history API: which series exist, a range of one (every label set of it), and the marks to draw with them. */
export function historyRoutes(r: PluginRouterImpl, s: KernelServices): void {
  r.add({ method: 'GET', path: '/api/history/series', summary: 'Every recorded time series (key, plugin, name, labels, unit)', response: seriesListResponse }, () => ({ series: s.history.list() }));
  r.add({ method: 'GET', path: '/api/history', query: seriesQuery, summary: 'A range of a time series: every label set, at most `points` points each (5 s raw for 24 h, 5-min averages before)', response: historyRangeResponse }, (c) => {
    const { from, to } = window(c.query);
    return { series: c.query.series, from, to, sets: s.history.range(c.query.series, from, to, c.query.points) };
  });
  r.add({ method: 'GET', path: '/api/history/marks', query: marksQuery, summary: 'Events to mark on the time axis (swaps, loads)', response: marksResponse }, (c) => {
    const { from, to } = window(c.query);
    return { from, to, marks: s.history.marks(from, to, c.query.plugin) };
  });
}

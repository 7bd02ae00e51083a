import type { Metrics } from '../metrics/Metrics.js';
import type { HistoryStore } from './HistoryStore.js';

/** A per-second rate of a growing total, from one sample to the next (null on the first). */
function rate(read: () => number): () => number | null {
  let last: { at: number; n: number } | undefined;
  return () => {
    const now = { at: Date.now(), n: read() };
    const prev = last;
    last = now;
    if (!prev || now.at <= prev.at || now.n < prev.n) return null;
    return Math.round(((now.n - prev.n) / ((now.at - prev.at) / 1000)) * 100) / 100;
  };
}

/** The kernel's own series: requests it served per second, the 5xx among them, and its resident memory. */
export function kernelSeries(history: HistoryStore, metrics: Metrics): void {
  history.declare('kernel', { name: 'http_requests', unit: 'req/s', help: 'Requests served per second (all routes, proxied ones included)', sample: rate(() => metrics.httpTotals.requests) });
  history.declare('kernel', { name: 'http_errors', unit: 'req/s', help: 'Requests answered with a 5xx per second', sample: rate(() => metrics.httpTotals.errors) });
  history.declare('kernel', { name: 'rss', unit: 'MB', help: 'Resident memory of Spark Control', sample: () => Math.round(process.memoryUsage().rss / 1048576) });
}

import type { PluginContext } from '@spark-control/plugin-api';

/** Time to first token of the streamed answers over the proxy, per model, as a history series: each 5 s sample is
 *  the mean of the streams that began answering since the one before (no point when none did). vLLM's own /metrics
 *  has no TTFT a scrape can read without its histogram, and the proxy measures what a client waited anyway. */
export function recordTtftSeries(ctx: PluginContext<unknown>): (model: string | null, ttftMs: number | null) => void {
  let window = new Map<string, { sum: number; n: number }>();
  ctx.history.series({
    name: 'ttft', unit: 'ms', help: 'Mean time to first token of the streamed answers (as the proxy saw it)',
    sample: () => {
      const done = window;
      window = new Map();
      return [...done].map(([model, w]) => ({ labels: { model }, value: Math.round(w.sum / w.n) }));
    },
  });
  return (model, ttftMs) => {
    if (!model || ttftMs === null) return;
    const w = window.get(model) ?? { sum: 0, n: 0 };
    w.sum += ttftMs;
    w.n++;
    // A bounded number of models in one window: requests naming made-up models cannot grow it without end.
    if (window.has(model) || window.size < 32) window.set(model, w);
  };
}

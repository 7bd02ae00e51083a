import { LitElement, css, html, nothing } from 'lit';
import type uPlotType from 'uplot';
import { loadUPlot } from './history-chart.js';
import type { DailySeries } from './usage-data.js';

/** Colours of the stacked clients: the theme's four, then fixed ones that read on light and dark backgrounds. */
const PALETTE = ['--spark-accent', '--spark-ok', '--spark-warn', '--spark-err'];
const MORE = ['#8b5cf6', '#14b8a6', '#ec4899', '#64748b', '#0ea5e9', '#a3a30f'];
const SHORT_DAY = new Intl.DateTimeFormat('en', { day: 'numeric', month: 'short', timeZone: 'UTC' });
const COMPACT = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const dayLabel = (d: string | undefined) => (d ? SHORT_DAY.format(new Date(`${d}T00:00:00Z`)) : '');

/**
 * `<spark-usage-chart label="Requests per day" .days=${[…]} .series=${[{ label, values }]}>`: one bar per UTC day,
 * stacked by client (the first series at the bottom), as wide as its container.
 */
export class SparkUsageChart extends LitElement {
  static properties = { label: {}, empty: {}, days: { attribute: false }, series: { attribute: false }, height: { type: Number } };
  label = '';
  /** What to say when no client has any of this in the range. */
  empty = 'Nothing counted in this range.';
  days: string[] = [];
  series: DailySeries[] = [];
  height = 180;
  private plot?: uPlotType;
  private resize?: ResizeObserver;

  static styles = css`
    * { box-sizing: border-box; }
    :host { display: block; font: 12px var(--spark-font); color: var(--spark-muted); min-width: 0; }
    .head { color: var(--spark-text); font-weight: 600; font-size: 0.9rem; margin-bottom: 4px; }
    .plot { width: 100%; min-height: 60px; }
    .note { padding: 8px 0; }
  `;

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize?.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
  }

  protected updated(changed: Map<string, unknown>): void {
    if (changed.has('days') || changed.has('series')) void this.draw();
  }

  render() {
    const total = this.series.reduce((a, s) => a + s.values.reduce((x, y) => x + y, 0), 0);
    return html`
      <link rel="stylesheet" href="/vendor/uplot.css">
      <div class="head">${this.label}</div>
      <div class="plot" part="plot" role="img" aria-label=${`${this.label}: ${total} in all, over ${this.days.length} days`}></div>
      ${this.series.length ? nothing : html`<div class="note" data-testid="chart-empty">${this.empty}</div>`}`;
  }

  private async draw(): Promise<void> {
    const uPlot = await loadUPlot();
    await this.updateComplete;
    const host = this.renderRoot.querySelector('.plot') as HTMLElement | null;
    if (!host) return;
    this.plot?.destroy();
    this.plot = undefined;
    if (!this.series.length) return;
    const style = getComputedStyle(this);
    const color = (i: number) => (i < PALETTE.length ? style.getPropertyValue(PALETTE[i]).trim() : '') || MORE[(i - PALETTE.length + MORE.length) % MORE.length];
    const muted = style.getPropertyValue('--spark-muted').trim() || '#888';
    // Stacked: each series is drawn as the running sum up to it, the tallest first, so the ones below paint over it.
    const sums: number[][] = [];
    this.series.forEach((s, i) => sums.push(s.values.map((v, d) => v + (i ? sums[i - 1][d] : 0))));
    const order = this.series.map((_, i) => i).reverse();
    const xs = this.days.map((_, i) => i);
    const data = [xs, ...order.map((i) => sums[i])] as uPlotType.AlignedData;
    const top = Math.max(1, ...(sums[sums.length - 1] ?? [1]));
    const bars = uPlot.paths.bars!({ size: [0.7, 48], gap: 1 });
    const days = this.days;
    const opts: uPlotType.Options = {
      width: Math.max(220, host.clientWidth || this.clientWidth || 300),
      height: this.height,
      legend: { show: true, live: false },
      cursor: { show: false },
      scales: { x: { time: false, range: () => [-0.6, days.length - 0.4] }, y: { range: () => [0, top * 1.12] } },
      axes: [
        {
          stroke: muted, grid: { show: false }, ticks: { stroke: 'rgba(128,128,128,0.3)' },
          incrs: [1, 2, 3, 7, 14], space: 44,
          values: (_u, splits) => splits.map((i) => (Number.isInteger(i) ? dayLabel(days[i]) : '')),
        },
        { stroke: muted, grid: { stroke: 'rgba(128,128,128,0.15)' }, ticks: { stroke: 'rgba(128,128,128,0.3)' }, size: 48, values: (_u, splits) => splits.map((v) => COMPACT.format(v)) },
      ],
      series: [
        {},
        ...order.map((i) => ({ label: this.series[i].label, stroke: color(i), fill: color(i), width: 0, paths: bars, points: { show: false } })),
      ],
    };
    this.plot = new uPlot(opts, data, host);
    this.resize?.disconnect();
    this.resize = new ResizeObserver(() => {
      const w = host.clientWidth;
      if (this.plot && w > 0 && Math.abs(w - this.plot.width) > 2) this.plot.setSize({ width: w, height: this.height });
    });
    this.resize.observe(host);
  }
}

if (!customElements.get('spark-usage-chart')) customElements.define('spark-usage-chart', SparkUsageChart);

import { LitElement, css, html } from 'lit';
import type uPlotType from 'uplot';

/** One line of a benchmark chart: a value per concurrency level (null where the run did not measure it). */
export interface BenchLine { label: string; color: string; dash?: boolean; values: Array<number | null> }

let uPlotModule: Promise<typeof uPlotType> | undefined;
/** uPlot comes through the import map, loaded the first time a benchmark chart is drawn. */
const loadUPlot = () => (uPlotModule ??= import('uplot').then((m) => m.default));

/** `<spark-vllm-bench-chart>`: lines over the concurrency levels (evenly spaced, labelled with the level), as wide as
 *  its container, redrawn when `lines` changes. No legend of its own: the panel shows one for both charts. */
export class VllmBenchChart extends LitElement {
  static properties = { heading: {}, unit: {}, levels: { attribute: false }, lines: { attribute: false } };
  heading = '';
  unit = '';
  levels: number[] = [];
  lines: BenchLine[] = [];
  private plot?: uPlotType;
  private resize?: ResizeObserver;
  /** Draws in flight: only the latest one builds a plot (two overlapping ones left two canvases). */
  private generation = 0;

  static styles = css`
    :host { display: block; min-width: 0; font: 12px var(--spark-font); color: var(--spark-muted); }
    b { color: var(--spark-text); font-weight: 600; }
    .plot { width: 100%; min-height: 60px; }
  `;

  render() {
    return html`<link rel="stylesheet" href="/vendor/uplot.css"><div><b>${this.heading}</b>${this.unit ? ` (${this.unit})` : ''}</div><div class="plot" part="plot"></div>`;
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize?.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
  }

  protected updated(): void {
    void this.draw();
  }

  private async draw(): Promise<void> {
    const gen = ++this.generation;
    const uPlot = await loadUPlot();
    if (gen !== this.generation) return;
    const host = this.renderRoot.querySelector('.plot') as HTMLElement | null;
    if (!host) return;
    this.plot?.destroy();
    this.plot = undefined;
    if (!this.levels.length || !this.lines.length) return;
    const xs = this.levels.map((_, i) => i);
    const muted = getComputedStyle(this).getPropertyValue('--spark-muted').trim() || '#888';
    const axis = { stroke: muted, grid: { stroke: 'rgba(128,128,128,0.15)' }, ticks: { stroke: 'rgba(128,128,128,0.3)' } };
    const opts: uPlotType.Options = {
      width: Math.max(200, host.clientWidth || 300), height: 170,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false, range: [-0.25, xs.length - 0.75] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] } },
      axes: [
        { ...axis, splits: () => xs, values: (_u, splits) => splits.map((i) => String(this.levels[i] ?? '')), label: 'concurrency', labelSize: 14, size: 28 },
        { ...axis, size: 48 },
      ],
      series: [{}, ...this.lines.map((l) => ({ label: l.label, stroke: l.color, width: 2, dash: l.dash ? [6, 4] : undefined, spanGaps: true, points: { show: true, size: 6, fill: l.color } }))],
    };
    this.plot = new uPlot(opts, [xs, ...this.lines.map((l) => l.values)] as uPlotType.AlignedData, host);
    this.resize?.disconnect();
    this.resize = new ResizeObserver(() => {
      const w = host.clientWidth;
      if (this.plot && w > 0 && Math.abs(w - this.plot.width) > 2) this.plot.setSize({ width: w, height: 170 });
    });
    this.resize.observe(host);
  }
}
if (!customElements.get('spark-vllm-bench-chart')) customElements.define('spark-vllm-bench-chart', VllmBenchChart);

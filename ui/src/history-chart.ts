import { LitElement, css, html, nothing } from 'lit';
import type uPlotType from 'uplot';
import { apiJson } from './tile-api.js';
import { labelMatcher } from './label-match.js';

interface HistorySet { key: string; labels: Record<string, string>; unit: string; points: Array<{ t: number; v: number }> }
interface HistoryMark { t: number; plugin: string; kind: string; text: string }

/** uPlot is loaded the first time a chart is on screen (the import map names it), so the shell's bundle stays small. */
let uPlotModule: Promise<typeof uPlotType> | undefined;
export const loadUPlot = () => (uPlotModule ??= import('uplot').then((m) => m.default));

const PALETTE = ['--spark-accent', '--spark-ok', '--spark-warn', '--spark-err'];

/** "1 h", "6 h", "7 d": how a window of minutes reads in a chart's head. */
export const windowText = (minutes: number): string => (minutes >= 2880 ? `${Math.round(minutes / 1440)} d` : minutes >= 120 ? `${Math.round(minutes / 60)} h` : `${minutes} min`);

/**
 * `<spark-history-chart series="cluster.gpu_util" label="GPU" minutes="60" marks="vllm" match="host=spark-1">`: one
 * line per label set of a series the kernel keeps (GET /api/history; `match` keeps only the sets with those labels),
 * live (re-read every 10 s), as wide as its container (phones too), with the marks of a plugin (swaps, loads; `*` for
 * every plugin's) drawn as dashed lines on the time axis. Any tile or page may use it.
 */
export class SparkHistoryChart extends LitElement {
  static properties = { series: {}, label: {}, minutes: { type: Number }, marks: {}, match: {}, height: { type: Number }, names: { attribute: false }, state: { state: true } };
  series = '';
  label = '';
  minutes = 60;
  marks = '';
  match = '';
  height = 140;
  /** Words for label values in the legend (`{ parakeet: 'Transcription' }`): what an owner calls them, not the ids. */
  names: Record<string, string> = {};
  state: 'loading' | 'empty' | 'drawn' | 'error' = 'loading';
  private plot?: uPlotType;
  private timer?: number;
  private resize?: ResizeObserver;
  private lastKeys = '';
  /** The series' unit, said once in the head (not after every line's name in the legend). */
  private unit = '';
  private window: [number, number] = [0, 1];
  private generation = 0;

  static styles = css`
    :host { display: block; font: 12px var(--spark-font); color: var(--spark-muted); }
    .head { display: flex; justify-content: space-between; gap: 8px; margin-bottom: 2px; }
    .head b { color: var(--spark-text); font-weight: 600; }
    .plot { width: 100%; min-height: 40px; position: relative; }
    .note { padding: 8px 0; }
    /* The event under the pointer (a dashed line), named. */
    .marktip { position: absolute; top: 2px; z-index: 2; max-width: 70%; padding: 3px 7px; border-radius: 6px; pointer-events: none;
      background: var(--spark-surface-2); color: var(--spark-text); border: 1px solid var(--spark-warn); font-size: 11px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  `;

  connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    this.timer = window.setInterval(() => void this.load(), 10_000);
  }

  protected updated(changed: Map<string, unknown>): void {
    // Another series, window or filter is another plot: drawn anew, not merged into the old one.
    if (!this.isConnected || !['series', 'minutes', 'match', 'marks'].some((k) => changed.has(k) && changed.get(k) !== undefined)) return;
    this.lastKeys = '';
    this.state = 'loading';
    void this.load();
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    window.clearInterval(this.timer);
    this.resize?.disconnect();
    this.clear();
  }

  render() {
    const unit = this.plot ? this.unit : '';
    return html`
      <link rel="stylesheet" href="/vendor/uplot.css">
      <div class="head"><b>${this.label || this.series}</b><span>${unit ? `${unit}, ` : ''}last ${windowText(this.minutes)}</span></div>
      <div class="plot" part="plot"><div class="marktip" data-testid="mark-tip" role="status" hidden></div></div>
      ${this.state === 'empty' ? html`<div class="note">No points yet: the kernel samples every 5 s.</div>` : nothing}
      ${this.state === 'error' ? html`<div class="note">History unavailable.</div>` : nothing}`;
  }

  private async load(): Promise<void> {
    if (!this.series) return;
    // Only the newest read draws: an older one (another window) answering late must not paint over it.
    const gen = ++this.generation;
    const from = Date.now() - this.minutes * 60_000;
    try {
      const [data, marks] = await Promise.all([
        apiJson<{ sets: HistorySet[] }>(`/api/history?series=${encodeURIComponent(this.series)}&from=${from}&points=300`),
        this.marks ? apiJson<{ marks: HistoryMark[] }>(`/api/history/marks?from=${from}${this.marks === '*' ? '' : `&plugin=${encodeURIComponent(this.marks)}`}`) : Promise.resolve({ marks: [] }),
      ]);
      const keep = labelMatcher(this.match);
      const sets = data.sets.filter((s) => s.points.length > 0 && keep(s.labels));
      if (gen !== this.generation) return;
      if (sets.length === 0) { this.clear(); this.state = 'empty'; return; }
      await this.draw(sets, marks.marks, from);
      this.state = 'drawn';
    } catch {
      if (gen !== this.generation) return;
      this.state = 'error';
    }
  }

  /** Names the event whose dashed line is nearest the pointer (within 6 px), in a tip above the plot. */
  private showMark(u: uPlotType): void {
    const tip = this.renderRoot.querySelector('.marktip') as HTMLElement | null;
    if (!tip) return;
    const left = u.cursor.left ?? -1;
    const list = (u as uPlotType & { sparkMarks?: HistoryMark[] }).sparkMarks ?? [];
    let best: { m: HistoryMark; x: number } | undefined;
    if (left >= 0) {
      for (const m of list) {
        const x = u.valToPos(m.t / 1000, 'x');
        if (Math.abs(x - left) <= 6 && (!best || Math.abs(x - left) < Math.abs(best.x - left))) best = { m, x };
      }
    }
    if (!best) { tip.hidden = true; return; }
    tip.textContent = `${new Date(best.m.t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })} ${best.m.text}`;
    tip.hidden = false;
    // Beside the line, on the side with room.
    const plot = tip.parentElement!.getBoundingClientRect();
    const x = u.over.getBoundingClientRect().left - plot.left + best.x;
    const rightHalf = best.x > u.over.clientWidth / 2;
    tip.style.left = rightHalf ? '' : `${x + 6}px`;
    tip.style.right = rightHalf ? `${plot.width - x + 6}px` : '';
  }

  private clear(): void {
    this.plot?.destroy();
    this.plot = undefined;
    this.lastKeys = '';
  }

  private async draw(sets: HistorySet[], marks: HistoryMark[], from: number): Promise<void> {
    const uPlot = await loadUPlot();
    await this.updateComplete;
    const host = this.renderRoot.querySelector('.plot') as HTMLElement | null;
    if (!host) return;
    // uPlot wants one x axis for all lines: join the sets on their timestamps (seconds), gaps as null.
    const xs = [...new Set(sets.flatMap((s) => s.points.map((p) => p.t)))].sort((a, b) => a - b);
    const index = new Map(xs.map((t, i) => [t, i]));
    const ys = sets.map((s) => {
      const col: Array<number | null> = xs.map(() => null);
      for (const p of s.points) col[index.get(p.t)!] = p.v;
      return col;
    });
    const data = [xs.map((t) => t / 1000), ...ys] as uPlotType.AlignedData;
    const keys = sets.map((s) => s.key).join('|');
    const style = getComputedStyle(this);
    const color = (i: number) => style.getPropertyValue(PALETTE[i % PALETTE.length]).trim() || '#4f8cff';
    const width = Math.max(200, host.clientWidth || this.clientWidth || 300);
    this.window = [from / 1000, Date.now() / 1000];
    if (this.plot && keys === this.lastKeys) {
      (this.plot as uPlotType & { sparkMarks?: HistoryMark[] }).sparkMarks = marks;
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.lastKeys = keys;
    this.unit = sets[0].unit;
    const muted = style.getPropertyValue('--spark-muted').trim() || '#888';
    const warn = style.getPropertyValue('--spark-warn').trim() || '#e0a030';
    const opts: uPlotType.Options = {
      width, height: this.height,
      legend: { show: sets.length > 1, live: false },
      cursor: { drag: { x: false, y: false } },
      // The whole window asked for, not just the span of the points: a line that began 5 min ago looks it.
      scales: { x: { time: true, range: () => this.window }, y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } },
      axes: [
        { stroke: muted, grid: { stroke: 'rgba(128,128,128,0.15)' }, ticks: { stroke: 'rgba(128,128,128,0.3)' } },
        { stroke: muted, grid: { stroke: 'rgba(128,128,128,0.15)' }, ticks: { stroke: 'rgba(128,128,128,0.3)' }, size: 44 },
      ],
      series: [
        {},
        ...sets.map((s, i) => ({
          label: Object.values(s.labels).map((v) => this.names[v] ?? v).join(' ') || this.label || s.key,
          stroke: color(i), width: 1.5, spanGaps: false, points: { show: false },
        })),
      ],
      hooks: {
        // The pointer within a few pixels of an event's line names it (marks carry no text on the canvas).
        setCursor: [(u) => this.showMark(u)],
        draw: [(u) => {
          const list = (u as uPlotType & { sparkMarks?: HistoryMark[] }).sparkMarks ?? [];
          const ctx = u.ctx;
          ctx.save();
          ctx.strokeStyle = warn;
          ctx.setLineDash([4, 3]);
          ctx.lineWidth = 1;
          for (const m of list) {
            const x = u.valToPos(m.t / 1000, 'x', true);
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
          }
          ctx.restore();
        }],
      },
    };
    this.plot = new uPlot(opts, data, host);
    (this.plot as uPlotType & { sparkMarks?: HistoryMark[] }).sparkMarks = marks;
    this.plot.redraw();
    this.resize?.disconnect();
    this.resize = new ResizeObserver(() => {
      const w = host.clientWidth;
      if (this.plot && w > 0 && Math.abs(w - this.plot.width) > 2) this.plot.setSize({ width: w, height: this.height });
    });
    this.resize.observe(host);
    this.requestUpdate();
  }
}

if (!customElements.get('spark-history-chart')) customElements.define('spark-history-chart', SparkHistoryChart);

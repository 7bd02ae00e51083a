import { LitElement, css, html, nothing } from 'lit';
import { apiJson } from './tile-api.js';
import { windowText } from './history-chart.js';
import { KINDS, RANGES, detailLink, parseDetailRoute } from './detail-route.js';

interface SeriesInfo { key: string; plugin: string; name: string; labels: Record<string, string>; unit: string; help: string }
interface Mark { t: number; plugin: string; kind: string; text: string }
interface Container { name: string; image: string; state: string; status: string }
/** A benchmark run as the LLM plugin keeps it (the fields this page shows). */
interface BenchmarkRun { id: string; at: string; servedName: string; vllmVersion: string | null; launch: { args: string[] }; levels: Array<{ concurrency: number; generationTokensPerSec: number; ttftMs: { p50: number | null } }> }

/**
 * A full page about one Spark (`#/spark/<host>`) or one served model (`#/model/<name>`): every series the kernel keeps
 * with that `host` or `model` label, over a window the owner picks (1 h to 30 d), live, with every plugin's events
 * (swaps, loads) marked on the time axis and listed below; a Spark's page also lists what runs on it.
 */
export class SparkDetailPage extends LitElement {
  static properties = { route: {}, series: { state: true }, marks: { state: true }, containers: { state: true }, runs: { state: true }, error: { state: true } };
  route = '';
  series: SeriesInfo[] = [];
  marks: Mark[] = [];
  containers?: Container[];
  runs?: BenchmarkRun[];
  error = '';
  private timer?: number;

  static styles = css`
    :host { display: block; }
    *, *::before, *::after { box-sizing: border-box; }
    h1 { font-size: 1.3rem; margin: 4px 0 10px; overflow-wrap: anywhere; }
    h2 { font-size: 1rem; margin: 0 0 8px; }
    .bar { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; margin-bottom: 14px; }
    .ranges { display: flex; gap: 4px; flex-wrap: wrap; }
    .ranges a { padding: 5px 11px; border-radius: 8px; border: 1px solid var(--spark-border); color: var(--spark-text); text-decoration: none; font-size: 0.88rem; background: var(--spark-surface); }
    .ranges a[aria-current=true] { border-color: var(--spark-accent); font-weight: 650; background: var(--spark-surface-2); }
    .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 420px), 1fr)); gap: var(--spark-gap, 12px); margin-bottom: 16px; }
    .card { background: var(--spark-surface); border: 1px solid var(--spark-border); border-radius: var(--spark-radius); padding: 12px; box-shadow: var(--spark-shadow); min-width: 0; }
    .muted { color: var(--spark-muted); font-size: 0.88rem; }
    .err { color: var(--spark-err); }
    a { color: var(--spark-accent); }
    table { width: 100%; border-collapse: collapse; font-size: 0.88rem; table-layout: fixed; }
    th, td { text-align: left; padding: 5px 4px; border-bottom: 1px solid var(--spark-border); vertical-align: top; overflow-wrap: anywhere; }
    th { color: var(--spark-muted); font-weight: 600; }
    .when { width: 10.5em; white-space: nowrap; color: var(--spark-muted); }
    .others { display: flex; gap: 10px; flex-wrap: wrap; }
  `;

  connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    // New label sets appear (a model served for the first time), events happen: re-read as the charts do.
    this.timer = window.setInterval(() => void this.load(), 15_000);
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    window.clearInterval(this.timer);
  }

  protected updated(changed: Map<string, unknown>): void {
    if (changed.has('route') && changed.get('route') !== undefined) void this.load();
  }

  private get where() { return parseDetailRoute(this.route); }
  private get minutes() { return RANGES.find(([r]) => r === this.where?.range)?.[1] ?? 60; }

  private async load() {
    const w = this.where;
    if (!w) return;
    const from = Date.now() - this.minutes * 60_000;
    try {
      const [list, marks] = await Promise.all([
        apiJson<{ series: SeriesInfo[] }>('/api/history/series'),
        apiJson<{ marks: Mark[] }>(`/api/history/marks?from=${from}`),
      ]);
      this.series = list.series;
      this.marks = marks.marks;
      this.error = '';
    } catch (e) {
      this.error = (e as Error).message;
    }
    // What runs on a Spark, where the Sparks plugin runs (it reads docker ps on every poll).
    if (w.kind === 'spark') {
      this.containers = await apiJson<{ hosts: Array<{ hostId: string; containers?: Container[] }> }>('/api/plugins/cluster/hosts')
        .then((r) => r.hosts.find((h) => h.hostId === w.value)?.containers ?? [], () => undefined);
    }
    // A model's benchmark runs, where the LLM plugin runs: what each flag change did, side by side.
    if (w.kind === 'model') {
      this.runs = await apiJson<{ runs: BenchmarkRun[] }>('/api/plugins/vllm/benchmarks')
        .then((r) => r.runs.filter((run) => run.servedName === w.value), () => undefined);
    }
  }

  /** One row per run, one column per concurrency: generation tokens/s and the median TTFT. */
  private benchmarks(runs: BenchmarkRun[]) {
    const levels = [...new Set(runs.flatMap((r) => r.levels.map((l) => l.concurrency)))].sort((a, b) => a - b);
    return html`<section class="card" data-testid="detail-benchmarks" style="margin-bottom:12px"><h2>Benchmarks</h2>
      <table><thead><tr><th class="when">Run</th>${levels.map((c) => html`<th>×${c}: tok/s · TTFT p50</th>`)}</tr></thead><tbody>
      ${runs.slice(0, 10).map((r) => html`<tr><td class="when" title=${r.launch.args.join(' ')}>${new Date(r.at).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })}${r.vllmVersion ? html`<div class="muted">vLLM ${r.vllmVersion}</div>` : nothing}</td>
        ${levels.map((c) => { const l = r.levels.find((x) => x.concurrency === c); return html`<td>${l ? `${Math.round(l.generationTokensPerSec)} · ${l.ttftMs.p50 === null ? '–' : `${Math.round(l.ttftMs.p50)} ms`}` : '–'}</td>`; })}</tr>`)}
      </tbody></table></section>`;
  }

  render() {
    const w = this.where;
    if (!w) return html`<p class="err">Not a page: ${this.route}</p>`;
    const k = KINDS[w.kind];
    const mine = this.series.filter((s) => s.labels[k.label] === w.value);
    // One chart per series (its label sets for this Spark or model); percentages first, as the tiles show them.
    const charts = [...new Map(mine.map((s) => [`${s.plugin}.${s.name}`, s])).entries()]
      .sort(([a, x], [b, y]) => Number(y.unit === '%') - Number(x.unit === '%') || a.localeCompare(b));
    const others = [...new Set(this.series.map((s) => s.labels[k.label]).filter((v): v is string => !!v && v !== w.value))].sort();
    const match = `${k.label}=${w.value}`;
    return html`
      <h1>${k.title} <span data-testid="detail-name">${w.value}</span></h1>
      <div class="bar">
        <nav class="ranges" aria-label="Time window">${RANGES.map(([r]) => html`<a href=${detailLink(w.kind, w.value, r)} aria-current=${r === w.range ? 'true' : 'false'} data-range=${r}>${r}</a>`)}</nav>
        <a href="#/">Back to the dashboard</a>
      </div>
      ${this.error ? html`<p class="err">${this.error}</p>` : nothing}
      ${charts.length ? html`<div class="grid" data-testid="detail-charts">${charts.map(([key, s]) => html`<div class="card">
          <spark-history-chart series=${key} label=${s.help || s.name} match=${match} minutes=${this.minutes} marks="*" height="180"></spark-history-chart></div>`)}</div>`
        : html`<p class="muted" data-testid="detail-empty">No history for ${w.value} yet: the kernel samples every 5 s while it ${w.kind === 'spark' ? 'is reachable' : 'is served'}.</p>`}
      ${w.kind === 'spark' && this.containers ? html`<section class="card" data-testid="detail-containers"><h2>What runs on ${w.value}</h2>
        ${this.containers.length ? html`<table><thead><tr><th>Container</th><th>Image</th><th>Status</th></tr></thead><tbody>${this.containers.map((c) => html`<tr><td>${c.name}</td><td>${c.image}</td><td>${c.status || c.state}</td></tr>`)}</tbody></table>`
          : html`<p class="muted">No containers running (as of the last poll).</p>`}</section>` : nothing}
      ${w.kind === 'model' && this.runs?.length ? this.benchmarks(this.runs) : nothing}
      <section class="card" data-testid="detail-marks" style="margin-top:12px"><h2>Events in the last ${windowText(this.minutes)}</h2>
        ${this.marks.length ? html`<table><tbody>${[...this.marks].reverse().slice(0, 50).map((m) => html`<tr><td class="when">${new Date(m.t).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })}</td><td>${m.text} <span class="muted">(${m.plugin} ${m.kind})</span></td></tr>`)}</tbody></table>`
          : html`<p class="muted">None: swaps and loads show here and as dashed lines on the charts.</p>`}</section>
      ${others.length ? html`<p class="others muted">${k.others}: ${others.map((o) => html`<a href=${detailLink(w.kind, o, w.range)}>${o}</a>`)}</p>` : nothing}`;
  }
}

if (!customElements.get('spark-detail-page')) customElements.define('spark-detail-page', SparkDetailPage);

import { LitElement, css, html, nothing } from 'lit';
import { apiJson, createTileApi } from './tile-api.js';
import { windowText } from './history-chart.js';
import { RANGES, detailLink, parseDetailRoute } from './detail-route.js';
import { loadElement } from './tile-host.js';

interface SeriesInfo { key: string; plugin: string; name: string; labels: Record<string, string>; unit: string; help: string }
interface Mark { t: number; plugin: string; kind: string; text: string }
/** A page kind and the sections on it, as GET /api/ui/pages gives them (running plugins only). */
interface PageKind { plugin: string; kind: string; label: string; title: string; others: string }
interface Section { plugin: string; kind: string; tag: string; moduleUrl: string; order: number }
/** What a section element is given. */
type SectionElement = HTMLElement & { api?: unknown; pluginId?: string; value?: string; minutes?: number };

/**
 * A full page about one value of a series label, of a kind a plugin registered (`#/spark/<host>` by the Sparks plugin,
 * `#/model/<name>` by the LLM plugin): every series the kernel keeps with that label, over a window the owner picks
 * (1 h to 30 d), live, with every plugin's events (swaps, loads) marked on the time axis and listed below; then the
 * sections plugins add to the kind (what runs on a Spark, a model's benchmark runs).
 */
export class SparkDetailPage extends LitElement {
  static properties = { route: {}, series: { state: true }, marks: { state: true }, kinds: { state: true }, sections: { state: true }, sectionErrors: { state: true }, error: { state: true } };
  route = '';
  series: SeriesInfo[] = [];
  marks: Mark[] = [];
  /** Undefined until GET /api/ui/pages answered. */
  kinds?: PageKind[];
  sections: Section[] = [];
  sectionErrors: Record<string, string> = {};
  error = '';
  /** The section elements, kept across renders so each loads its data once and keeps its state. */
  private mounted = new Map<string, SectionElement>();
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
    .section { margin-bottom: 12px; }
    .section:empty { display: none; }
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
    try {
      const ui = await apiJson<{ pages: PageKind[]; sections: Section[] }>('/api/ui/pages');
      this.kinds = ui.pages;
      this.sections = ui.sections.filter((x) => x.kind === w.kind);
    } catch (e) {
      this.kinds ??= [];
      this.error ||= (e as Error).message;
    }
    this.updateSections();
  }

  /** Mounts each section's element once (its module imported as a tile's is) and hands it the page's value and window. */
  private updateSections() {
    const w = this.where;
    for (const sec of this.sections) {
      let el = this.mounted.get(sec.tag);
      if (!el) {
        el = document.createElement(sec.tag) as SectionElement;
        el.api = createTileApi(sec.plugin);
        el.pluginId = sec.plugin;
        this.mounted.set(sec.tag, el);
        loadElement(sec).catch((e: Error) => { this.sectionErrors = { ...this.sectionErrors, [sec.tag]: e.message }; });
      }
      if (w) { el.value = w.value; el.minutes = this.minutes; }
    }
    this.requestUpdate();
  }

  render() {
    const w = this.where;
    if (!w) return html`<p class="err">Not a page: ${this.route}</p>`;
    if (!this.kinds) return html`<p class="muted">Loading…</p>`;
    const k = this.kinds.find((x) => x.kind === w.kind);
    if (!k) return html`<p class="err" data-testid="detail-unknown">No page of kind "${w.kind}": the plugin that serves it is not running.</p><a href="#/">Back to the dashboard</a>`;
    const mine = this.series.filter((s) => s.labels[k.label] === w.value);
    // One chart per series (its label sets with this page's label value); percentages first, as the tiles show them.
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
        : html`<p class="muted" data-testid="detail-empty">No history for ${w.value} yet: the kernel samples every 5 s while its plugins report it.</p>`}
      ${this.sections.map((sec) => html`<div class="section" data-plugin=${sec.plugin}>${this.sectionErrors[sec.tag]
        ? html`<p class="err card">This section (${sec.plugin}) could not be shown: ${this.sectionErrors[sec.tag]}</p>` : this.mounted.get(sec.tag) ?? nothing}</div>`)}
      <section class="card" data-testid="detail-marks" style="margin-top:12px"><h2>Events in the last ${windowText(this.minutes)}</h2>
        ${this.marks.length ? html`<table><tbody>${[...this.marks].reverse().slice(0, 50).map((m) => html`<tr><td class="when">${new Date(m.t).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })}</td><td>${m.text} <span class="muted">(${m.plugin} ${m.kind})</span></td></tr>`)}</tbody></table>`
          : html`<p class="muted">None: swaps, loads, sleeps, wakes and evictions show here and as dashed lines on the charts.</p>`}</section>
      ${others.length ? html`<p class="others muted">${k.others}: ${others.map((o) => html`<a href=${detailLink(w.kind, o, w.range)}>${o}</a>`)}</p>` : nothing}`;
  }
}

if (!customElements.get('spark-detail-page')) customElements.define('spark-detail-page', SparkDetailPage);

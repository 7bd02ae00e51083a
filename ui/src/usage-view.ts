import { LitElement, css, html, nothing } from 'lit';
import { apiJson } from './tile-api.js';
import './usage-chart.js';
import { counterLabel, dailyByClient, formatValue, lastDays, usageTable, type UsageAnswer } from './usage-data.js';

const RANGES = [7, 30] as const;
const REFRESH_MS = 10_000;

/** Usage by client (and by model or other subject) over the last 7 or 30 days: a table with totals, and bars by day. */
export class SparkUsageView extends LitElement {
  static properties = { days: { state: true }, answer: { state: true }, error: { state: true }, pluginNames: { attribute: false } };
  days: (typeof RANGES)[number] = 7;
  answer?: UsageAnswer;
  error = '';
  /** Plugin id → name, to say which service a model line belongs to. */
  pluginNames: Record<string, string> = {};
  private timer?: number;

  static styles = css`
    * { box-sizing: border-box; }
    :host { display: block; }
    .bar { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: center; justify-content: space-between; margin-bottom: 12px; }
    h2 { font-size: 1.05rem; margin: 0; }
    .range { display: inline-flex; border: 1px solid var(--spark-border); border-radius: 8px; overflow: hidden; }
    .range button { border: 0; border-radius: 0; background: var(--spark-surface); }
    .range button[aria-pressed="true"] { background: var(--spark-accent); color: var(--spark-accent-text); }
    button { font: inherit; padding: 5px 12px; border-radius: 8px; border: 1px solid var(--spark-border); background: var(--spark-surface-2); color: var(--spark-text); cursor: pointer; }
    button:focus-visible { outline: 2px solid var(--spark-accent); outline-offset: 1px; }
    .muted { color: var(--spark-muted); }
    .err { color: var(--spark-err); }
    .empty { padding: 12px; border: 1px dashed var(--spark-border); border-radius: 8px; color: var(--spark-muted); line-height: 1.45; }
    .empty code { font-family: var(--spark-mono); font-size: 0.85em; color: var(--spark-text); }
    .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 16px; margin-bottom: 16px; }
    table { width: 100%; border-collapse: collapse; font-size: 0.9rem; }
    th, td { padding: 7px 6px; border-bottom: 1px solid var(--spark-border); text-align: right; vertical-align: top; }
    th:first-child, td:first-child { text-align: left; }
    th { color: var(--spark-muted); font-weight: 600; }
    tr.sub td { color: var(--spark-muted); font-size: 0.85rem; border-bottom-style: dashed; }
    tr.sub td:first-child { padding-left: 20px; }
    tr.total td { font-weight: 700; border-top: 2px solid var(--spark-border); }
    .svc { font-size: 0.8rem; color: var(--spark-muted); }
    /* Phones: each line becomes a small card of "label value" pairs, so nothing needs a sideways scroll. */
    @media (max-width: 720px) {
      table, tbody, tr, td { display: block; }
      thead { display: none; }
      tr { border-bottom: 1px solid var(--spark-border); padding: 6px 0; }
      td { border: 0; padding: 2px 0; display: flex; justify-content: space-between; gap: 12px; text-align: right; }
      td::before { content: attr(data-label); color: var(--spark-muted); text-align: left; }
      td:first-child { font-weight: 600; display: block; text-align: left; }
      td:first-child::before { content: none; }
      tr.sub td:first-child { padding-left: 12px; }
      tr.sub { border-bottom-style: dashed; }
      tr.total td { border-top: 0; }
    }
  `;

  connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    this.timer = window.setInterval(() => void this.load(), REFRESH_MS);
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    window.clearInterval(this.timer);
  }

  /** Re-reads the usage now (the page calls it after a change; the refresh button too). */
  async load(): Promise<void> {
    const { from, to } = lastDays(this.days);
    try {
      this.answer = await apiJson<UsageAnswer>(`/api/usage?from=${from}&to=${to}`);
      this.error = '';
    } catch (e) {
      this.error = `Could not read usage: ${(e as Error).message}`;
    }
  }

  private setRange(d: (typeof RANGES)[number]) {
    if (d === this.days) return;
    this.days = d;
    void this.load();
  }

  private table() {
    const t = usageTable(this.answer!);
    const cell = (counter: string, v: number | undefined) => html`<td data-label=${counterLabel(counter)}>${v === undefined ? '–' : formatValue(counter, v)}</td>`;
    return html`<table data-testid="usage-table">
      <thead><tr><th scope="col">Client</th>${t.counters.map((c) => html`<th scope="col">${counterLabel(c)}</th>`)}</tr></thead>
      <tbody>
        ${t.clients.map((c) => html`
          <tr data-client=${c.client}><td>${c.label}</td>${t.counters.map((k) => cell(k, c.values[k]))}</tr>
          ${c.subjects.map((s) => html`<tr class="sub" data-client=${c.client} data-subject=${s.subject}>
            <td>${s.subject} <span class="svc">${this.pluginNames[s.plugin] ?? s.plugin}</span></td>${t.counters.map((k) => cell(k, s.values[k]))}</tr>`)}`)}
        ${t.clients.length > 1 ? html`<tr class="total"><td>All clients</td>${t.counters.map((k) => cell(k, t.totals[k]))}</tr>` : nothing}
      </tbody>
    </table>`;
  }

  private charts() {
    const a = this.answer!;
    const requests = dailyByClient(a, ['requests']);
    const tokens = dailyByClient(a, ['prompt_tokens', 'completion_tokens']);
    return html`<div class="charts">
      <spark-usage-chart data-testid="chart-requests" label="Requests per day" empty="No requests counted in this range." .days=${requests.days} .series=${requests.series}></spark-usage-chart>
      <spark-usage-chart data-testid="chart-tokens" label="Tokens per day (prompt + completion)"
        empty="No tokens counted in this range: chat and completion requests count them." .days=${tokens.days} .series=${tokens.series}></spark-usage-chart>
    </div>`;
  }

  render() {
    const empty = this.answer && this.answer.rows.length === 0;
    return html`
      <div class="bar">
        <h2>Usage</h2>
        <div style="display:flex;gap:8px;align-items:center;flex-wrap:wrap">
          <span class="range" role="group" aria-label="Range">
            ${RANGES.map((d) => html`<button type="button" aria-pressed=${this.days === d ? 'true' : 'false'} @click=${() => this.setRange(d)}>Last ${d} days</button>`)}
          </span>
          <button type="button" @click=${() => void this.load()}>Refresh</button>
        </div>
      </div>
      ${this.error ? html`<p class="err" role="alert">${this.error}</p>` : nothing}
      ${!this.answer && !this.error ? html`<p class="muted">Loading…</p>` : nothing}
      ${empty ? html`<div class="empty" data-testid="usage-empty"><b>No usage in the last ${this.days} days yet.</b> Requests are counted per client:
          give each program its own key (<b>New client</b> above), or have it send an <code>X-Client-Name</code> header without a key.
          Counts show here within a few seconds of a request, by day (UTC).</div>` : nothing}
      ${this.answer && !empty ? html`${this.charts()}${this.table()}
        <p class="muted" style="font-size:0.8rem">Days are UTC, ${this.answer.from} to ${this.answer.to}. Indented lines break a client's counts down by model or voice.</p>` : nothing}`;
  }
}

if (!customElements.get('spark-usage-view')) customElements.define('spark-usage-view', SparkUsageView);

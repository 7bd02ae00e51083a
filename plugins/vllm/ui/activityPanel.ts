import { LitElement, css, html, nothing } from 'lit';
import type { SparkTileApi } from '@spark-control/plugin-api';

/** One row of GET /api/plugins/vllm/activity. */
interface ActivityRow { at: string; client: string; clientId?: string | null; method: string; path: string; model: string | null; status: number; durationMs: number; ttftMs: number | null; tokensIn: number | null; tokensOut: number | null; stream: boolean }

/** The vLLM tile's "Activity" button and table: the proxied /v1 requests, newest first, filtered by model, client (a
 *  click on a client's name filters by its id), status and
 *  the last N minutes; re-read every 5 s while open. */
export class VllmActivityPanel extends LitElement {
  static properties = { api: { attribute: false }, open: { state: true }, rows: { state: true }, total: { state: true }, model: { state: true }, client: { state: true }, status: { state: true }, minutes: { state: true }, error: { state: true } };
  api?: SparkTileApi;
  open = false;
  rows: ActivityRow[] = [];
  total = 0;
  model = '';
  client = '';
  status = '';
  minutes = '';
  error = '';
  private timer?: ReturnType<typeof setInterval>;

  static styles = css`
    :host { display: block; margin: 6px 0; font-size: 0.85rem; }
    .bar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: 6px; }
    .bar input, .bar select { font: inherit; padding: 3px 5px; min-width: 0; max-width: 9rem; }
    .wrap { overflow-x: auto; max-height: 50vh; }
    table { border-collapse: collapse; width: 100%; }
    th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--spark-border); white-space: nowrap; }
    th { color: var(--spark-muted); font-weight: normal; position: sticky; top: 0; background: var(--spark-surface, inherit); }
    td.num { text-align: right; font-variant-numeric: tabular-nums; }
    .bad { color: var(--spark-err); }
    .muted { color: var(--spark-muted); }
    a.who { color: inherit; }
    .close { margin-left: auto; }
  `;

  disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private show() {
    this.open = true;
    void this.load();
    this.timer ??= setInterval(() => void this.load(), 5000);
  }

  private hide() {
    this.open = false;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async load() {
    if (!this.api) return;
    const q = new URLSearchParams({ limit: '200' });
    if (this.model) q.set('model', this.model);
    if (this.client) q.set('client', this.client);
    if (this.status) q.set('status', this.status);
    if (this.minutes) q.set('since', new Date(Date.now() - Number(this.minutes) * 60_000).toISOString());
    try {
      const r = await this.api.json<{ total: number; entries: ActivityRow[] }>(`/activity?${q}`);
      this.rows = r.entries;
      this.total = r.total;
      this.error = '';
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  private set(field: 'model' | 'client' | 'status' | 'minutes', e: Event) {
    this[field] = (e.target as HTMLInputElement).value.trim();
    void this.load();
  }

  render() {
    if (!this.open) return html`<button data-testid="vllm-activity" title="Requests through /v1: who, which model, how long, how many tokens" @click=${() => this.show()}>Activity</button>`;
    const n = (v: number | null) => (v === null ? html`<span class="muted">–</span>` : v);
    return html`<div class="bar">
        <input placeholder="model" aria-label="Filter by model" data-testid="activity-model" @change=${(e: Event) => this.set('model', e)}>
        <input placeholder="client" aria-label="Filter by client (name or id)" data-testid="activity-client" .value=${this.client} @change=${(e: Event) => this.set('client', e)}>
        <input placeholder="status" inputmode="numeric" aria-label="Filter by status" data-testid="activity-status" @change=${(e: Event) => this.set('status', e)}>
        <select aria-label="Since" data-testid="activity-since" @change=${(e: Event) => this.set('minutes', e)}>
          <option value="">all kept</option><option value="15">15 min</option><option value="60">1 h</option><option value="1440">24 h</option></select>
        <span class="muted" data-testid="activity-count">${this.rows.length} shown · ${this.total} kept</span>
        <button class="close" aria-label="Close the activity log" @click=${() => this.hide()}>×</button></div>
      ${this.error ? html`<div class="bad">${this.error}</div>` : nothing}
      <div class="wrap"><table data-testid="activity">
        <tr><th>Time</th><th>Client</th><th>Model</th><th>Status</th><th>Duration</th><th>TTFT</th><th>In</th><th>Out</th><th>Path</th></tr>
        ${this.rows.map((r) => html`<tr>
          <td>${new Date(r.at).toLocaleTimeString()}</td><td><a href="#" class="who" data-testid="activity-client-name" title="Show only ${r.client}${r.clientId ? ` (${r.clientId})` : ''}" @click=${(e: Event) => { e.preventDefault(); this.client = r.clientId ?? r.client; void this.load(); }}>${r.client}</a></td><td><code>${r.model ?? '–'}</code></td>
          <td class=${r.status >= 400 ? 'bad' : ''}>${r.status}</td><td class="num">${r.durationMs} ms</td><td class="num">${r.ttftMs === null ? n(null) : `${r.ttftMs} ms`}</td>
          <td class="num">${n(r.tokensIn)}</td><td class="num">${n(r.tokensOut)}</td><td>${r.path}${r.stream ? html` <span class="muted">stream</span>` : nothing}</td></tr>`)}
      </table></div>`;
  }
}
if (!customElements.get('spark-vllm-activity')) customElements.define('spark-vllm-activity', VllmActivityPanel);

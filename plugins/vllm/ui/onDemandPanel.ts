import { LitElement, css, html, nothing } from 'lit';
import type { SparkTileApi } from '@spark-control/plugin-api';

/** One row of GET /api/plugins/vllm/ondemand. */
interface OnDemandModel {
  id: string; servedName: string; state: 'serving' | 'sleeping' | 'loading' | 'stopping' | 'stopped'; loadOnRequest: boolean; sleep: boolean;
  idleTtlSec: number | null; idleCountdownSec: number | null; lastColdLoadSeconds: number | null; lastWakeMs: number | null;
  queued: number; loads: number; failedLoads: number; timeouts: number; refused: number;
}

/** The on-demand part of the vLLM tile: per model that is not simply stopped, its state, the requests waiting for it,
 *  the idle countdown and the last load by kind (cold / wake). Refreshed on on-demand events and every 2 s while
 *  something counts down or loads. */
export class VllmOnDemandPanel extends LitElement {
  static properties = { api: { attribute: false }, models: { state: true }, error: { state: true } };
  api?: SparkTileApi;
  models: OnDemandModel[] = [];
  error = '';
  private timer?: ReturnType<typeof setInterval>;
  private offs: Array<() => void> = [];

  static styles = css`
    :host { display: block; font-size: 0.85rem; margin: 6px 0 10px; }
    table { border-collapse: collapse; width: 100%; }
    th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--spark-border); }
    th { color: var(--spark-muted); font-weight: normal; }
    .state { border-radius: 999px; padding: 1px 8px; border: 1px solid var(--spark-border); }
    .serving { color: var(--spark-ok); border-color: currentColor; }
    .sleeping { color: var(--spark-muted); }
    .loading, .stopping { color: var(--spark-warn); border-color: currentColor; }
    .muted { color: var(--spark-muted); }
    .err { color: var(--spark-err); }
  `;

  connectedCallback(): void {
    super.connectedCallback();
    this.start();
  }

  /** The tile may hand over its api after the panel is in the page. */
  protected willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('api')) this.start();
  }

  private start() {
    if (!this.api || !this.isConnected || this.timer) return;
    void this.load();
    for (const p of ['vllm.ondemand.', 'vllm.swap.']) this.offs.push(this.api.subscribe(p, () => void this.load()));
    this.timer = setInterval(() => { if (this.models.some((m) => m.idleCountdownSec !== null || m.state === 'loading' || m.queued)) void this.load(); }, 2000);
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.timer);
    this.timer = undefined;
    for (const off of this.offs) off();
    this.offs = [];
  }

  private async load() {
    if (!this.api) return;
    try {
      this.models = (await this.api.json<{ models: OnDemandModel[] }>('/ondemand')).models;
      this.error = '';
    } catch (e) {
      this.error = `on-demand status unavailable: ${(e as Error).message}`;
    }
  }

  render() {
    if (this.error) return html`<div class="err">${this.error}</div>`;
    const shown = this.models.filter((m) => m.state !== 'stopped' || m.queued || m.loads || m.timeouts || m.refused);
    if (!shown.length) return nothing;
    const last = (m: OnDemandModel) => [m.lastColdLoadSeconds !== null ? `cold ${m.lastColdLoadSeconds} s` : '', m.lastWakeMs !== null ? `wake ${(m.lastWakeMs / 1000).toFixed(1)} s` : ''].filter(Boolean).join(' · ') || '–';
    return html`<table data-testid="ondemand">
      <tr><th>Model</th><th>State</th><th>Waiting</th><th>Idle</th><th>Last load</th></tr>
      ${shown.map((m) => html`<tr data-model=${m.id}>
        <td><code>${m.servedName}</code></td>
        <td><span class="state ${m.state}">${m.state}</span></td>
        <td>${m.queued}${m.timeouts || m.refused ? html` <span class="muted" title="timed out · refused (queue full)">(${m.timeouts} · ${m.refused})</span>` : nothing}</td>
        <td>${m.idleCountdownSec !== null ? html`${m.sleep ? 'sleeps' : 'stops'} in ${m.idleCountdownSec} s` : html`<span class="muted">–</span>`}</td>
        <td>${last(m)}</td></tr>`)}
    </table>`;
  }
}
if (!customElements.get('spark-vllm-ondemand')) customElements.define('spark-vllm-ondemand', VllmOnDemandPanel);

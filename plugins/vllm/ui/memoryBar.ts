import { LitElement, css, html, nothing } from 'lit';
import type { SparkTileApi } from '@spark-control/plugin-api';

/** One Spark of GET /api/plugins/vllm/residency. */
interface SparkMemory {
  hostId: string; memTotalBytes: number; budgetBytes: number; freeBytes: number;
  reservations: Array<{ service: string; plugin: string; bytes: number }>;
  models: Array<{ slot: number; modelId: string; servedName: string; asleep: boolean; pinned: boolean; bytes: number; awakeBytes: number; source: string }>;
}

const gb = (b: number) => `${(b / 1e9).toFixed(b >= 10e9 ? 0 : 1)} GB`;
const SOURCE: Record<string, string> = { launch: 'the share it was launched with', args: 'its --gpu-memory-utilization', memoryGB: 'its memoryGB', measured: 'measured at its last load', estimate: 'the fit estimate', 'whole-spark': 'vLLM\'s default share (90%)' };

/** When models share the Sparks: per Spark one stacked bar of its budget — the services that keep memory, each
 *  resident model (striped while asleep, with what it holds asleep) and what is left. Hidden with one model at a time. */
export class VllmMemoryBar extends LitElement {
  static properties = { api: { attribute: false }, sparks: { state: true }, shared: { state: true } };
  api?: SparkTileApi;
  sparks: SparkMemory[] = [];
  shared = false;
  private offs: Array<() => void> = [];
  private started = false;

  static styles = css`
    :host { display: block; font-size: 0.8rem; margin: 6px 0 10px; }
    .spark { margin-bottom: 6px; }
    .head { display: flex; justify-content: space-between; color: var(--spark-muted); flex-wrap: wrap; gap: 4px; }
    .bar { display: flex; height: 18px; border: 1px solid var(--spark-border); border-radius: 4px; overflow: hidden; margin-top: 2px; }
    .seg { height: 100%; min-width: 2px; overflow: hidden; white-space: nowrap; font-size: 0.7rem; line-height: 18px; padding: 0 3px; box-sizing: border-box; color: #fff; }
    .model { background: var(--spark-accent, #3b82f6); border-right: 1px solid var(--spark-bg, #fff); }
    .model.asleep { background: repeating-linear-gradient(45deg, #64748b, #64748b 4px, #94a3b8 4px, #94a3b8 8px); }
    .service { background: #a855f7; border-right: 1px solid var(--spark-bg, #fff); }
    .legend { display: flex; flex-wrap: wrap; gap: 2px 10px; margin-top: 3px; color: var(--spark-muted); }
  `;

  connectedCallback(): void { super.connectedCallback(); this.start(); }
  protected willUpdate(changed: Map<string, unknown>): void { if (changed.has('api')) this.start(); }
  disconnectedCallback(): void { super.disconnectedCallback(); for (const off of this.offs) off(); this.offs = []; this.started = false; }

  private start() {
    if (!this.api || !this.isConnected || this.started) return;
    this.started = true;
    void this.load();
    for (const p of ['vllm.ondemand.', 'vllm.swap.']) this.offs.push(this.api.subscribe(p, () => void this.load()));
  }

  private async load() {
    if (!this.api) return;
    try {
      const r = await this.api.json<{ shared: boolean; sparks: SparkMemory[] }>('/residency');
      this.shared = r.shared;
      this.sparks = r.sparks;
    } catch { this.sparks = []; }
  }

  render() {
    if (!this.shared || !this.sparks.length) return nothing;
    return html`${this.sparks.map((s) => {
      const pct = (b: number) => `${Math.max(0, (b / Math.max(1, s.budgetBytes)) * 100)}%`;
      return html`<div class="spark" data-testid="memory-bar" data-host=${s.hostId}>
        <div class="head"><span>${s.hostId}: ${gb(s.budgetBytes - Math.max(0, s.freeBytes))} of ${gb(s.budgetBytes)} budget</span><span>${gb(Math.max(0, s.freeBytes))} free</span></div>
        <div class="bar" role="img" aria-label="memory of ${s.hostId}">
          ${s.reservations.map((r) => html`<div class="seg service" style="width:${pct(r.bytes)}" title="${r.service} (${r.plugin}) keeps ${gb(r.bytes)}">${r.service}</div>`)}
          ${s.models.map((m) => html`<div class="seg model ${m.asleep ? 'asleep' : ''}" data-model=${m.modelId} style="width:${pct(m.bytes)}" title="${m.servedName}${m.asleep ? ' (asleep)' : ''}: ${gb(m.bytes)}${m.asleep ? ` of ${gb(m.awakeBytes)} awake` : ''}, from ${SOURCE[m.source] ?? m.source}${m.pinned ? ' · pinned' : ''}">${m.servedName}</div>`)}
        </div>
        <div class="legend">${s.models.map((m) => html`<span>${m.pinned ? '📌 ' : ''}${m.servedName}: ${gb(m.bytes)}${m.asleep ? ' asleep' : ''}</span>`)}${s.reservations.map((r) => html`<span>${r.service}: ${gb(r.bytes)}</span>`)}</div>
      </div>`;
    })}`;
  }
}
if (!customElements.get('spark-vllm-memory-bar')) customElements.define('spark-vllm-memory-bar', VllmMemoryBar);

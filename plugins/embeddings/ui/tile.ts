import { LitElement, css, html, nothing } from 'lit';
import type { SparkTileApi } from '@spark-control/plugin-api';

/** A few short documents so a new owner can see hybrid search work before ingesting anything of their own. */
const SAMPLE_COLLECTION = 'spark-samples';
const SAMPLES = [
  'The DGX Spark has 128 GB of unified memory shared by the GB10 CPU and GPU.',
  'vLLM serves one large model at a time; a swap stops the container and launches another.',
  'Parakeet transcribes speech to text; Sortformer tells who spoke when, up to four speakers.',
  'Kokoro turns text into speech at 24 kHz; voices can be mixed like af_bella(2)+af_sky(1).',
  'Qdrant stores dense and sparse vectors; hybrid search fuses both rankings with RRF.',
  'The redaction gateway replaces names and emails with placeholders before text reaches a cloud model.',
  'WireGuard links the Sparks to the home network; the cluster tile shows a VPN badge.',
  'bge-m3 produces 1024-dimensional dense vectors and sparse lexical weights for every text.',
];

interface Hit { id: string; doc_id: string | null; score: number; rerank_score?: number; payload?: { text?: string } }

/** Collections with point counts, and a search box showing fused (hybrid) results with timings. */
export class EmbeddingsTile extends LitElement {
  static properties = { api: { attribute: false }, collections: { state: true }, hits: { state: true }, timings: { state: true }, error: { state: true }, health: { state: true } };
  api?: SparkTileApi;
  collections: Array<{ name: string; points: number | null }> = [];
  hits?: Hit[];
  timings?: Record<string, number>;
  error = '';
  health?: Array<{ name: string; status: string }>;

  static styles = css`
    :host { display: block; font-family: var(--spark-font); color: var(--spark-text); }
    .row { display: flex; gap: 6px; flex-wrap: wrap; align-items: center; }
    select, input, button { font: inherit; font-size: 0.88rem; padding: 5px 8px; border-radius: 8px; border: 1px solid var(--spark-border); background: var(--spark-bg); color: var(--spark-text); }
    input { flex: 1; min-width: 120px; }
    button { background: var(--spark-accent); color: var(--spark-accent-text, #fff); border-color: var(--spark-accent); cursor: pointer; }
    ul { list-style: none; padding: 0; margin: 8px 0; }
    li { padding: 5px 0; border-bottom: 1px solid var(--spark-border); font-size: 0.86rem; }
    .score { color: var(--spark-muted); font-family: var(--spark-mono); font-size: 0.78rem; }
    .muted { color: var(--spark-muted); font-size: 0.82rem; }
    .dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: var(--spark-err); margin-right: 4px; }
    .dot.up { background: var(--spark-ok); }
    .err { color: var(--spark-err); font-size: 0.85rem; }
  `;

  connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load() {
    try {
      this.collections = (await this.api!.json<{ collections: EmbeddingsTile['collections'] }>('/collections')).collections;
      this.health = (await this.api!.json<{ checks: Array<{ name: string; status: string }> }>('health')).checks;
      this.error = '';
    } catch (e) { this.error = (e as Error).message; }
  }

  private async loadSamples() {
    try {
      await this.api!.json(`/api/collections/${SAMPLE_COLLECTION}`, { method: 'PUT', jsonBody: {} });
      await this.api!.json(`/api/collections/${SAMPLE_COLLECTION}/points`, { method: 'POST', jsonBody: { items: SAMPLES.map((text, i) => ({ id: `sample-${i + 1}`, text, payload: { source: 'spark-control-samples' } })) } });
      await this.load();
    } catch (e) { this.error = (e as Error).message; }
  }

  private async search(ev: Event) {
    ev.preventDefault();
    const f = new FormData(ev.target as HTMLFormElement);
    try {
      const r = await this.api!.json<{ results: Hit[]; timings_ms: Record<string, number> }>('/search', { method: 'POST', jsonBody: { collection: f.get('collection'), query: f.get('q'), mode: 'hybrid', limit: 5 } });
      this.hits = r.results;
      this.timings = r.timings_ms;
      this.error = '';
    } catch (e) { this.error = (e as Error).message; }
  }

  render() {
    return html`
      <div class="muted">${this.health?.map((h) => html`<span><span class="dot ${h.status === 'up' ? 'up' : ''}"></span>${h.name} </span>`)}</div>
      <ul>${this.collections.length ? this.collections.map((c) => html`<li><b>${c.name}</b> <span class="muted">${c.points ?? '?'} points</span></li>`) : html`<li class="muted">No collections yet. <button @click=${() => this.loadSamples()}>Load sample documents</button></li>`}</ul>
      ${this.collections.length ? html`<form class="row" @submit=${this.search}>
        <select name="collection" aria-label="Collection">${this.collections.map((c) => html`<option>${c.name}</option>`)}</select>
        <input name="q" placeholder="Search (hybrid: dense + sparse, RRF)" aria-label="Search query" required><button>Search</button></form>` : nothing}
      ${this.hits ? html`<ul data-testid="hits">${this.hits.map((h) => html`<li><span class="score">${h.score.toFixed(4)}</span> ${String(h.payload?.text ?? h.doc_id ?? h.id).slice(0, 160)}</li>`)}</ul>
        <div class="muted">${Object.entries(this.timings ?? {}).map(([k, v]) => `${k} ${v} ms`).join(' · ')}</div>` : nothing}
      ${this.error ? html`<p class="err">${this.error}</p>` : nothing}`;
  }
}

if (!customElements.get('spark-embeddings-tile')) customElements.define('spark-embeddings-tile', EmbeddingsTile);

import { LitElement, css, html, nothing } from 'lit';
import type { SparkTileApi } from '@spark-control/plugin-api';

/** A few short documents so a new owner can see hybrid search work before ingesting anything of their own. */
const SAMPLE_COLLECTION = 'spark-samples';
const SAMPLES = [
  'The DGX Spark has 128 GB of unified memory shared by the GB10 CPU and GPU.',
  'vLLM serves one large model at a time; a swap stops the container and launches another.',
  'Parakeet transcribes speech to text; Sortformer tells who spoke when, up to four speakers.',
  'Kokoro turns text into speech at 24 kHz; voices can be mixed like af_bella(2)+af_sky(1).',
  'Qdrant stores dense and sparse vectors; hybrid search fuses both rankings with Reciprocal Rank Fusion.',
  'The redaction gateway replaces names and emails with placeholders before text reaches a cloud model.',
  'WireGuard links the Sparks to the home network; the cluster tile shows a VPN badge.',
  'bge-m3 produces 1024-dimensional dense vectors and sparse lexical weights for every text.',
];

interface Hit { id: string; doc_id: string | null; score: number; rerank_score?: number; payload?: { text?: string } }

const HEALTH_NAMES: Record<string, string> = { embeddings: 'Embeddings (bge-m3)', qdrant: 'Vector store (Qdrant)' };
const TIMING_NAMES: Record<string, string> = { embed: 'embedding the query', search: 'search', query: 'search', rerank: 'reranking', total: 'total' };

/** Collections with document counts (add your own, delete one), and a search box showing hybrid results: meaning
 *  (dense vectors) and keywords (sparse) ranked apart and combined, with timings. */
export class EmbeddingsTile extends LitElement {
  static properties = { api: { attribute: false }, collections: { state: true }, hits: { state: true }, timings: { state: true }, error: { state: true }, health: { state: true }, note: { state: true }, busy: { state: true } };
  api?: SparkTileApi;
  collections: Array<{ name: string; points: number | null }> = [];
  hits?: Hit[];
  timings?: Record<string, number>;
  error = '';
  health?: Array<{ name: string; status: string }>;
  /** What the last add or delete did. */
  note = '';
  busy = false;

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
    *, *::before, *::after { box-sizing: border-box; }
    li.coll { display: flex; justify-content: space-between; align-items: center; gap: 8px; }
    button.secondary { background: var(--spark-surface); color: var(--spark-text); border-color: var(--spark-border); font-size: 0.8rem; padding: 3px 8px; }
    details { margin-top: 10px; font-size: 0.88rem; }
    summary { cursor: pointer; font-weight: 600; }
    .add { display: grid; gap: 4px; margin-top: 6px; }
    .add label { font-size: 0.8rem; font-weight: 600; color: var(--spark-muted); }
    textarea { font: inherit; font-size: 0.88rem; padding: 6px 8px; border-radius: 8px; border: 1px solid var(--spark-border); background: var(--spark-bg); color: var(--spark-text); width: 100%; }
    .legend { margin-top: 6px; }
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

  /** One document per paragraph (blank line between), into a collection made if it does not exist. */
  private async addDocuments(ev: Event) {
    ev.preventDefault();
    const form = ev.target as HTMLFormElement;
    const f = new FormData(form);
    const name = String(f.get('collection') ?? '').trim();
    const docs = String(f.get('docs') ?? '').split(/\n\s*\n/).map((d) => d.trim()).filter(Boolean);
    if (!name || !docs.length) { this.error = !name ? 'Name the collection to add to.' : 'Paste at least one document.'; return; }
    this.busy = true;
    try {
      await this.api!.json(`/api/collections/${encodeURIComponent(name)}`, { method: 'PUT', jsonBody: {} });
      const stamp = Date.now().toString(36);
      await this.api!.json(`/api/collections/${encodeURIComponent(name)}/points`, { method: 'POST', jsonBody: { items: docs.map((text, i) => ({ id: `doc-${stamp}-${i + 1}`, text, payload: { source: 'dashboard' } })) } });
      this.note = `Added ${docs.length} document${docs.length === 1 ? '' : 's'} to ${name}.`;
      (form.elements.namedItem('docs') as HTMLTextAreaElement).value = '';
      this.error = '';
      await this.load();
    } catch (e) { this.error = (e as Error).message; } finally { this.busy = false; }
  }

  private async deleteCollection(name: string) {
    if (!confirm(`Delete the collection ${name} and every document in it? This cannot be undone.`)) return;
    try {
      await this.api!.json(`/api/collections/${encodeURIComponent(name)}`, { method: 'DELETE' });
      this.note = `Deleted ${name}.`;
      this.hits = undefined;
      this.error = '';
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
    const names = this.collections.map((c) => c.name);
    return html`
      <div class="muted">${this.health?.map((h) => html`<span><span class="dot ${h.status === 'up' ? 'up' : ''}"></span>${HEALTH_NAMES[h.name] ?? h.name} </span>`)}</div>
      <ul data-testid="collections">${this.collections.length ? this.collections.map((c) => html`<li class="coll" data-collection=${c.name}><span><b>${c.name}</b> <span class="muted">${c.points ?? '?'} document${c.points === 1 ? '' : 's'}</span></span>
          <button class="secondary" title="Delete this collection and its documents" @click=${() => this.deleteCollection(c.name)}>Delete</button></li>`)
        : html`<li class="muted">No collections yet. <button @click=${() => this.loadSamples()}>Load sample documents</button></li>`}</ul>
      ${this.collections.length ? html`<form class="row" @submit=${this.search}>
        <select name="collection" aria-label="Collection">${this.collections.map((c) => html`<option>${c.name}</option>`)}</select>
        <input name="q" placeholder="Search by meaning and keywords" aria-label="Search query" required><button>Search</button></form>` : nothing}
      ${this.hits ? html`<div class="muted legend">Relevance: how well each document matches, with the meaning and keyword rankings combined (higher is better; only the order matters).</div>
        <ul data-testid="hits">${this.hits.map((h, i) => html`<li><span class="score" title="combined relevance">#${i + 1} · ${h.score.toFixed(3)}${h.rerank_score !== undefined ? html` · reranked ${h.rerank_score.toFixed(2)}` : nothing}</span> ${String(h.payload?.text ?? h.doc_id ?? h.id).slice(0, 160)}</li>`)}</ul>
        <div class="muted">${Object.entries(this.timings ?? {}).map(([k, v]) => `${TIMING_NAMES[k] ?? k} ${v} ms`).join(' · ')}</div>` : nothing}
      <details data-testid="add-docs"><summary>Add your own documents</summary>
        <form class="add" @submit=${this.addDocuments}>
          <label for="add-collection">Collection (an existing one, or a new name)</label>
          <input id="add-collection" name="collection" list="collection-names" placeholder="my-notes" autocomplete="off" value=${names[0] ?? ''}>
          <datalist id="collection-names">${names.map((n) => html`<option value=${n}></option>`)}</datalist>
          <label for="add-docs">Documents, separated by a blank line</label>
          <textarea id="add-docs" name="docs" rows="4" placeholder="First document…

Second document…"></textarea>
          <div class="row"><button ?disabled=${this.busy} title=${this.busy ? 'Adding…' : ''}>${this.busy ? 'Adding…' : 'Add documents'}</button></div>
        </form></details>
      <spark-service-logs src="/api/plugins/embeddings/logs" .labels=${HEALTH_NAMES}></spark-service-logs>
      ${this.note ? html`<p class="muted" data-testid="note">${this.note}</p>` : nothing}
      ${this.error ? html`<p class="err">${this.error}</p>` : nothing}`;
  }
}

if (!customElements.get('spark-embeddings-tile')) customElements.define('spark-embeddings-tile', EmbeddingsTile);

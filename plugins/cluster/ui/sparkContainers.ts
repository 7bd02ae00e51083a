import { LitElement, css, html, nothing } from 'lit';
import type { SparkTileApi } from '@spark-control/plugin-api';

interface Container { name: string; image: string; state?: string; status: string }

/** The section on a Spark's page (`#/spark/<host>`): what runs on it, as the last poll's `docker ps` saw it. */
export class SparkClusterContainers extends LitElement {
  static properties = { api: { attribute: false }, value: { attribute: false }, containers: { state: true }, error: { state: true } };
  api?: SparkTileApi;
  /** The Spark's host id (the page's `host` label value). */
  value = '';
  containers?: Container[];
  error = '';
  private timer?: ReturnType<typeof setInterval>;

  static styles = css`
    :host { display: block; background: var(--spark-surface); border: 1px solid var(--spark-border); border-radius: var(--spark-radius); padding: 12px; box-shadow: var(--spark-shadow); }
    h2 { font-size: 1rem; margin: 0 0 8px; overflow-wrap: anywhere; }
    table { width: 100%; border-collapse: collapse; font-size: 0.88rem; table-layout: fixed; }
    th, td { text-align: left; padding: 5px 4px; border-bottom: 1px solid var(--spark-border); vertical-align: top; overflow-wrap: anywhere; }
    th { color: var(--spark-muted); font-weight: 600; }
    .muted { color: var(--spark-muted); font-size: 0.88rem; }
    .err { color: var(--spark-err); font-size: 0.88rem; }
  `;

  connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    this.timer = setInterval(() => void this.load(), 15_000);
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.timer);
  }

  protected updated(changed: Map<string, unknown>): void {
    if (changed.has('value') && changed.get('value') !== undefined) void this.load();
  }

  private async load() {
    if (!this.api || !this.value) return;
    try {
      const r = await this.api.json<{ hosts: Array<{ hostId: string; containers?: Container[] }> }>('/hosts');
      this.containers = r.hosts.find((h) => h.hostId === this.value)?.containers ?? [];
      this.error = '';
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  render() {
    return html`<section data-testid="detail-containers"><h2>What runs on ${this.value}</h2>
      ${this.error ? html`<p class="err">${this.error}</p>` : nothing}
      ${!this.containers ? html`<p class="muted">Loading…</p>` : this.containers.length
        ? html`<table><thead><tr><th>Container</th><th>Image</th><th>Status</th></tr></thead><tbody>${this.containers.map((c) => html`<tr><td>${c.name}</td><td>${c.image}</td><td>${c.status || c.state}</td></tr>`)}</tbody></table>`
        : html`<p class="muted">No containers running (as of the last poll).</p>`}</section>`;
  }
}

if (!customElements.get('spark-cluster-containers')) customElements.define('spark-cluster-containers', SparkClusterContainers);

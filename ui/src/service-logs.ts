import { LitElement, css, html, nothing } from 'lit';
import { apiJson } from './tile-api.js';

interface LogEntry { key: string; hostId: string; container: string }

/**
 * `<spark-service-logs src="/api/plugins/x/logs" .labels=${{ db: 'Database' }}>`: a "Logs" button that opens the
 * container logs a plugin serves with `containerLogRoutes` (one tab per container, from `GET <src>`), each followed
 * live in `<spark-log-viewer>`. Closing it ends the stream, and with it the remote `docker logs -f`. Any tile may use it.
 */
export class SparkServiceLogs extends LitElement {
  static properties = { src: {}, labels: { attribute: false }, open: { state: true }, entries: { state: true }, which: { state: true }, error: { state: true } };
  src = '';
  labels: Record<string, string> = {};
  open = false;
  entries: LogEntry[] = [];
  which = '';
  error = '';

  static styles = css`
    :host { display: block; margin: 8px 0 0; font: 0.86rem var(--spark-font); color: var(--spark-text); }
    .tabs { display: flex; gap: 6px; align-items: center; margin-bottom: 6px; flex-wrap: wrap; }
    button { font: inherit; padding: 4px 10px; border-radius: 8px; border: 1px solid var(--spark-border); background: var(--spark-surface); color: var(--spark-text); cursor: pointer; }
    button[aria-pressed=true] { font-weight: 600; border-color: var(--spark-accent); }
    .close { margin-left: auto; }
    .where { color: var(--spark-muted); font-size: 0.78rem; }
    .err { color: var(--spark-err); }
  `;

  private async show() {
    this.open = true;
    this.error = '';
    try {
      this.entries = (await apiJson<{ containers: LogEntry[] }>(this.src)).containers;
      if (!this.entries.some((e) => e.key === this.which)) this.which = this.entries[0]?.key ?? '';
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  render() {
    if (!this.open) return html`<button data-testid="service-logs" title="The services' container logs, followed live" @click=${() => void this.show()}>Logs</button>`;
    const cur = this.entries.find((e) => e.key === this.which);
    return html`<div class="tabs" role="group" aria-label="Which log">
        ${this.entries.map((e) => html`<button data-log=${e.key} aria-pressed=${e.key === this.which} @click=${() => { this.which = e.key; }}>${this.labels[e.key] ?? e.key}</button>`)}
        <button class="close" aria-label="Close the log" @click=${() => { this.open = false; }}>×</button></div>
      ${this.error ? html`<p class="err" role="alert">${this.error}</p>` : nothing}
      ${cur ? html`<div class="where">container ${cur.container} on ${cur.hostId}</div>
        <spark-log-viewer src=${`${this.src}/${encodeURIComponent(cur.key)}/follow?lines=200`}></spark-log-viewer>` : nothing}`;
  }
}

if (!customElements.get('spark-service-logs')) customElements.define('spark-service-logs', SparkServiceLogs);

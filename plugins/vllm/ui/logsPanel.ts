import { LitElement, css, html, nothing } from 'lit';
import type { SparkTileApi } from '@spark-control/plugin-api';

/** The vLLM tile's "Logs" button and what it opens: the served model's container log (followed live) or the log of
 *  the current or last swap, in the shell's `<spark-log-viewer>`. */
export class VllmLogsPanel extends LitElement {
  static properties = { api: { attribute: false }, open: { state: true }, which: { state: true }, swapJob: { state: true } };
  api?: SparkTileApi;
  open = false;
  which: 'container' | 'swap' = 'container';
  swapJob = '';

  static styles = css`
    :host { display: block; margin: 6px 0; }
    .tabs { display: flex; gap: 6px; align-items: center; margin-bottom: 6px; flex-wrap: wrap; }
    button[aria-pressed=true] { font-weight: 600; border-color: var(--spark-accent); }
    .close { margin-left: auto; }
  `;

  private async show() {
    this.open = true;
    try { this.swapJob = (await this.api!.json<{ job: { id: string } | null }>('/swap')).job?.id ?? ''; } catch { this.swapJob = ''; }
  }

  render() {
    if (!this.open) return html`<button data-testid="vllm-logs" title="The model's container log and the last swap's log" @click=${() => void this.show()}>Logs</button>`;
    return html`<div class="tabs" role="group" aria-label="Which log">
        <button aria-pressed=${this.which === 'container'} @click=${() => { this.which = 'container'; }}>Container</button>
        <button aria-pressed=${this.which === 'swap'} ?disabled=${!this.swapJob} title=${this.swapJob ? '' : 'no swap yet'} @click=${() => { this.which = 'swap'; }}>Last swap</button>
        <button class="close" aria-label="Close the log" @click=${() => { this.open = false; }}>×</button></div>
      ${this.which === 'container' ? html`<spark-log-viewer src="/api/plugins/vllm/logs/follow?lines=200"></spark-log-viewer>`
        : this.swapJob ? html`<spark-log-viewer job=${this.swapJob}></spark-log-viewer>` : nothing}`;
  }
}
if (!customElements.get('spark-vllm-logs')) customElements.define('spark-vllm-logs', VllmLogsPanel);

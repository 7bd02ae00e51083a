import { LitElement, css, html } from 'lit';

/**
 * `<spark-kernel-charts>`: Spark Control's own history (core/src/services/history/kernelSeries.ts), the requests it
 * served, the 5xx among them and its resident memory, so a slow or leaking kernel shows beside the plugins it runs.
 * The charts are `<spark-history-chart>`s: uPlot is loaded only once one is on screen.
 */
export class SparkKernelCharts extends LitElement {
  static styles = css`
    :host { display: block; }
    h2 { font-size: 1.05rem; margin: 0 0 2px; }
    p { margin: 0 0 12px; color: var(--spark-muted); font-size: 0.85rem; }
    .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 12px 20px; }
  `;

  render() {
    return html`<h2>Spark Control</h2>
      <p>The control plane itself: every request it answered (proxied ones too), the server errors among them, its memory.</p>
      <div class="charts" data-testid="kernel-charts">
        <spark-history-chart series="kernel.http_requests" label="Requests"></spark-history-chart>
        <spark-history-chart series="kernel.http_errors" label="Server errors (5xx)"></spark-history-chart>
        <spark-history-chart series="kernel.rss" label="Memory in use"></spark-history-chart>
      </div>`;
  }
}
if (!customElements.get('spark-kernel-charts')) customElements.define('spark-kernel-charts', SparkKernelCharts);

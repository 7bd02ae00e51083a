import { LitElement, css, html, nothing } from 'lit';
import type { SparkTileApi } from '@spark-control/plugin-api';

/** A benchmark run as GET /benchmarks gives it (the fields this section shows). */
interface BenchmarkRun { id: string; at: string; servedName: string; vllmVersion: string | null; launch: { args: string[] }; levels: Array<{ concurrency: number; generationTokensPerSec: number; ttftMs: { p50: number | null } }> }

/** The section on a model's page (`#/model/<served name>`): its benchmark runs side by side, one row per run, one
 *  column per concurrency (generation tokens/s and the median TTFT), so what each flag change did reads at a glance.
 *  Nothing is drawn for a model never benchmarked. */
export class SparkVllmBenchmarkRuns extends LitElement {
  static properties = { api: { attribute: false }, value: { attribute: false }, runs: { state: true } };
  api?: SparkTileApi;
  /** The served name (the page's `model` label value). */
  value = '';
  runs: BenchmarkRun[] = [];

  static styles = css`
    :host { display: block; }
    section { background: var(--spark-surface); border: 1px solid var(--spark-border); border-radius: var(--spark-radius); padding: 12px; box-shadow: var(--spark-shadow); }
    h2 { font-size: 1rem; margin: 0 0 8px; }
    table { width: 100%; border-collapse: collapse; font-size: 0.88rem; table-layout: fixed; }
    th, td { text-align: left; padding: 5px 4px; border-bottom: 1px solid var(--spark-border); vertical-align: top; overflow-wrap: anywhere; }
    th { color: var(--spark-muted); font-weight: 600; }
    .when { width: 10.5em; white-space: nowrap; color: var(--spark-muted); }
    .muted { color: var(--spark-muted); font-size: 0.88rem; }
  `;

  connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  protected updated(changed: Map<string, unknown>): void {
    if (changed.has('value') && changed.get('value') !== undefined) void this.load();
  }

  private async load() {
    if (!this.api || !this.value) return;
    // A failed read draws nothing: the runs are an extra on the page, which has its own error line.
    this.runs = await this.api.json<{ runs: BenchmarkRun[] }>('/benchmarks').then((r) => r.runs.filter((run) => run.servedName === this.value), () => []);
  }

  render() {
    const runs = this.runs;
    if (!runs.length) return nothing;
    const levels = [...new Set(runs.flatMap((r) => r.levels.map((l) => l.concurrency)))].sort((a, b) => a - b);
    return html`<section data-testid="detail-benchmarks"><h2>Benchmarks</h2>
      <table><thead><tr><th class="when">Run</th>${levels.map((c) => html`<th>×${c}: tok/s · TTFT p50</th>`)}</tr></thead><tbody>
      ${runs.slice(0, 10).map((r) => html`<tr><td class="when" title=${r.launch.args.join(' ')}>${new Date(r.at).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })}${r.vllmVersion ? html`<div class="muted">vLLM ${r.vllmVersion}</div>` : nothing}</td>
        ${levels.map((c) => { const l = r.levels.find((x) => x.concurrency === c); return html`<td>${l ? `${Math.round(l.generationTokensPerSec)} · ${l.ttftMs.p50 === null ? '–' : `${Math.round(l.ttftMs.p50)} ms`}` : '–'}</td>`; })}</tr>`)}
      </tbody></table></section>`;
  }
}

if (!customElements.get('spark-vllm-benchmark-runs')) customElements.define('spark-vllm-benchmark-runs', SparkVllmBenchmarkRuns);

import { LitElement, css, html, nothing } from 'lit';
import type { SparkTileApi } from '@spark-control/plugin-api';
import { runLabels, type RunFacts } from './benchmarkLabels.js';
import './benchmarkChart.js';
import type { BenchLine } from './benchmarkChart.js';

/** One stored run of GET /api/plugins/vllm/benchmarks. */
interface Level { concurrency: number; requests: number; ok: number; errors: number; firstError?: string; generationTokensPerSec: number; promptTokensPerSec: number; ttftMs: { p50: number | null; p99: number | null }; latencyMs: { p50: number | null; p99: number | null } }
interface Run extends RunFacts { id: string; servedName: string; levels: Level[]; settings: RunFacts['settings'] & { concurrency: number[] } }
interface Job { id: string; state: string; phase?: string; progress?: number; error?: { message: string }; endedAt?: string }

/** Fixed colours per selected run (the palette's custom properties are too few and too alike for six lines). */
const COLOURS = ['#4f8cff', '#e0a030', '#2fb47c', '#d9534f', '#9b59b6', '#17a2b8'];
const MAX_SELECTED = COLOURS.length;

/** The vLLM tile's "Benchmarks" button and panel: start a benchmark of the served model, pick stored runs (by default
 *  the last three of the served model) and compare their generated tokens/s and TTFT p50/p99 per concurrency side by
 *  side, each run labelled by its date and the launch args that differ between the runs picked. */
export class VllmBenchmarkPanel extends LitElement {
  static properties = { api: { attribute: false }, open: { state: true }, runs: { state: true }, served: { state: true }, selected: { state: true }, job: { state: true }, error: { state: true }, levels: { state: true }, count: { state: true }, maxTokens: { state: true } };
  api?: SparkTileApi;
  open = false;
  runs: Run[] = [];
  served: string | null = null;
  selected: string[] = [];
  job?: Job;
  error = '';
  levels = '1, 8, 32';
  count = '32';
  maxTokens = '256';
  private timer?: ReturnType<typeof setInterval>;
  private chosenByHand = false;

  static styles = css`
    :host { display: block; margin: 6px 0; font-size: 0.85rem; }
    .bar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: 6px; }
    .bar label { display: flex; gap: 4px; align-items: center; color: var(--spark-muted); }
    .bar input { font: inherit; padding: 3px 5px; width: 5.5rem; min-width: 0; }
    .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 12px; margin: 6px 0; }
    ul { list-style: none; padding: 0; margin: 4px 0; max-height: 30vh; overflow-y: auto; }
    li { display: flex; gap: 6px; align-items: baseline; padding: 2px 0; border-bottom: 1px solid var(--spark-border); }
    li label { flex: 1; min-width: 0; overflow-wrap: anywhere; }
    ol.legend { list-style: none; padding: 0; margin: 0 0 8px; display: flex; flex-wrap: wrap; gap: 2px 14px; }
    ol.legend li { border: 0; display: block; overflow-wrap: anywhere; }
    .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; }
    .muted { color: var(--spark-muted); }
    .bad { color: var(--spark-err); }
    .close { margin-left: auto; }
    progress { width: 8rem; }
  `;

  disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private show() {
    this.open = true;
    void this.load();
  }

  private hide() {
    this.open = false;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async load() {
    if (!this.api) return;
    try {
      const r = await this.api.json<{ runs: Run[]; running: Job | null; served: string | null }>('/benchmarks');
      this.runs = r.runs;
      this.served = r.served;
      if (r.running) this.follow(r.running);
      const known = new Set(r.runs.map((x) => x.id));
      this.selected = this.selected.filter((id) => known.has(id));
      if (!this.chosenByHand || !this.selected.length) {
        const mine = r.runs.filter((x) => !r.served || x.modelId === r.served);
        this.selected = (mine.length ? mine : r.runs).slice(0, 3).map((x) => x.id);
      }
      this.error = '';
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  /** Polls the running job until it ends, then re-reads the runs (the new one is selected first). */
  private follow(job: Job) {
    this.job = job;
    if (this.timer) return;
    this.timer = setInterval(async () => {
      try {
        const j = await this.api!.json<Job>(`/api/jobs/${this.job!.id}`);
        this.job = j;
        if (!j.endedAt) return;
        clearInterval(this.timer);
        this.timer = undefined;
        if (j.state !== 'succeeded') this.error = `benchmark ${j.state}${j.error ? `: ${j.error.message}` : ''}`;
        this.chosenByHand = false;
        await this.load();
      } catch (e) {
        this.error = (e as Error).message;
      }
    }, 1000);
  }

  private async start() {
    const concurrency = this.levels.split(/[\s,]+/).filter(Boolean).map(Number);
    try {
      const job = await this.api!.json<Job>('/benchmarks', { method: 'POST', jsonBody: { concurrency, count: Number(this.count), maxTokens: Number(this.maxTokens) } });
      this.error = '';
      this.follow(job);
    } catch (e) {
      const fields = (e as Error & { fields?: Record<string, string> }).fields;
      this.error = fields ? Object.entries(fields).map(([f, m]) => `${f}: ${m}`).join('; ') : (e as Error).message;
    }
  }

  private async cancel() {
    if (this.job) await this.api!.json(`/api/jobs/${this.job.id}/cancel`, { method: 'POST' }).catch(() => undefined);
  }

  private async deleteRun(id: string) {
    try {
      await this.api!.json(`/benchmarks/${id}`, { method: 'DELETE' });
      await this.load();
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  private toggle(id: string, on: boolean) {
    this.chosenByHand = true;
    this.selected = on ? [...this.selected, id].slice(-MAX_SELECTED) : this.selected.filter((x) => x !== id);
  }

  private charts() {
    const picked = this.selected.map((id) => this.runs.find((r) => r.id === id)).filter((r): r is Run => !!r);
    if (!picked.length) return html`<p class="muted">${this.runs.length ? 'Pick runs below to compare them.' : 'No benchmark runs yet.'}</p>`;
    const levels = [...new Set(picked.flatMap((r) => r.levels.map((l) => l.concurrency)))].sort((a, b) => a - b);
    const labels = runLabels(picked);
    const per = (r: Run, f: (l: Level) => number | null) => levels.map((c) => { const l = r.levels.find((x) => x.concurrency === c); return l && l.ok > 0 ? f(l) : null; });
    const tps: BenchLine[] = picked.map((r, i) => ({ label: labels[i], color: COLOURS[i], values: per(r, (l) => l.generationTokensPerSec) }));
    const ttft: BenchLine[] = picked.flatMap((r, i) => [
      { label: `p50 · ${labels[i]}`, color: COLOURS[i], values: per(r, (l) => l.ttftMs.p50) },
      { label: `p99 · ${labels[i]}`, color: COLOURS[i], dash: true, values: per(r, (l) => l.ttftMs.p99) },
    ]);
    return html`<div class="charts" data-testid="benchmark-charts">
      <spark-vllm-bench-chart data-testid="benchmark-tps" heading="Generated tokens/s" unit="all requests" .levels=${levels} .lines=${tps}></spark-vllm-bench-chart>
      <spark-vllm-bench-chart data-testid="benchmark-ttft" heading="Time to first token" unit="ms, solid p50, dashed p99" .levels=${levels} .lines=${ttft}></spark-vllm-bench-chart></div>
      <ol class="legend" data-testid="benchmark-legend">${picked.map((r, i) => html`<li><span class="swatch" style="background:${COLOURS[i]}"></span><code>${r.servedName}</code> ${labels[i]}</li>`)}</ol>`;
  }

  render() {
    if (!this.open) return html`<button data-testid="vllm-benchmarks" title="Measure the served model at several concurrencies and compare runs" @click=${() => this.show()}>Benchmarks</button>`;
    const j = this.job && !this.job.endedAt ? this.job : undefined;
    const labels = runLabels(this.runs);
    return html`<div class="bar">
        <label>concurrency <input data-testid="benchmark-levels" .value=${this.levels} @change=${(e: Event) => { this.levels = (e.target as HTMLInputElement).value; }}></label>
        <label>requests <input data-testid="benchmark-count" inputmode="numeric" .value=${this.count} @change=${(e: Event) => { this.count = (e.target as HTMLInputElement).value; }}></label>
        <label>max tokens <input data-testid="benchmark-max-tokens" inputmode="numeric" .value=${this.maxTokens} @change=${(e: Event) => { this.maxTokens = (e.target as HTMLInputElement).value; }}></label>
        ${j ? html`<progress data-testid="benchmark-progress" max="1" .value=${j.progress ?? 0}></progress><span class="muted">${j.phase ?? 'starting'}</span><button @click=${() => this.cancel()}>Cancel</button>`
          : html`<button class="primary" data-testid="benchmark-run" ?disabled=${!this.served} title=${this.served ? `Benchmark ${this.served}` : 'No model is served'} @click=${() => this.start()}>Run benchmark</button>`}
        <button class="close" aria-label="Close the benchmarks" @click=${() => this.hide()}>×</button></div>
      ${this.error ? html`<div class="bad" data-testid="benchmark-error">${this.error}</div>` : nothing}
      ${this.charts()}
      <ul data-testid="benchmark-runs">${this.runs.map((r, i) => {
        const k = this.selected.indexOf(r.id);
        const errors = r.levels.reduce((a, l) => a + l.errors, 0);
        return html`<li data-run=${r.id}><label><input type="checkbox" .checked=${k >= 0} @change=${(e: Event) => this.toggle(r.id, (e.target as HTMLInputElement).checked)}>
          ${k >= 0 ? html`<span class="swatch" style="background:${COLOURS[k]}"></span>` : nothing}<code>${r.servedName}</code> ${labels[i]}${errors ? html` <span class="bad">${errors} errors</span>` : nothing}</label>
          <button aria-label="Delete this run" title="Delete this run" @click=${() => this.deleteRun(r.id)}>Delete</button></li>`;
      })}</ul>`;
  }
}
if (!customElements.get('spark-vllm-benchmarks')) customElements.define('spark-vllm-benchmarks', VllmBenchmarkPanel);

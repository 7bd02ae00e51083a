import { LitElement, css, html, nothing } from 'lit';
import type { SparkTileApi } from '@spark-control/plugin-api';
import './memoryBar.js';
import './onDemandPanel.js';
import './logsPanel.js';
import './activityPanel.js';
import './benchmarkPanel.js';
import './benchmarkRuns.js';

interface Model { id: string; name: string; repo?: string; localPath?: string; servedName: string; tensorParallel: number; expectedLoadMinutes: number; lastLoadSeconds?: number | null; download?: Job | null; state: string; kind: 'hf' | 'local'; source: string }
interface Job { id: string; kind?: string; state: string; phase?: string; phases?: string[]; startedAt: string; endedAt?: string; error?: { code: string; message: string; phase?: string }; logTail: string[]; modelId: string; meta?: { modelId?: string; reason?: string } }
interface Fit { id: string; verdict: 'fits' | 'needs-more-sparks' | 'too-large' | 'unknown'; summary: string; sparksNeeded?: number; weightsBytes: number | null; weightsSource: string | null; onSpark: boolean }
interface Metrics { running: number | null; waiting: number | null; kvCachePct: number | null; tokensPerSecond: number | null }

const PHASES = ['preflight', 'stop', 'memory', 'launch', 'process', 'health', 'models', 'completion', 'active'];
const fmtBytes = (b: number) => (b >= 1024 ** 3 ? `${(b / 1024 ** 3).toFixed(1)} GiB` : `${Math.max(1, Math.round(b / 1024 ** 2))} MiB`);
/** "45 s", "3 min 20 s", "2 h 27 min", "3 d 4 h": at most two units, seconds only under ten minutes. */
const fmtDuration = (sec: number) => {
  const s = Math.max(0, Math.round(sec));
  if (s < 60) return `${s} s`;
  if (s < 600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`;
  return `${Math.floor(s / 86400)} d${Math.floor((s % 86400) / 3600) ? ` ${Math.floor((s % 86400) / 3600)} h` : ''}`;
};
const elapsed = (from: string, to?: string) => fmtDuration(Math.round(((to ? Date.parse(to) : Date.now()) - Date.parse(from)) / 1000));

/** vLLM tile: active model + live metrics, catalog with search and badges, swap with progress/log/cancel, add local model. */
export class VllmTile extends LitElement {
  static properties = {
    api: { attribute: false }, models: { state: true }, active: { state: true }, lost: { state: true }, disk: { state: true }, downloads: { state: true }, job: { state: true }, running: { state: true }, metrics: { state: true },
    fit: { state: true }, rollback: { state: true }, filter: { state: true }, adding: { state: true }, addErrors: { state: true }, error: { state: true }, linkNote: { state: true }, tick: { state: true }, transfer: { state: true },
    dismissedJob: { state: true }, answer: { state: true }, asking: { state: true }, shared: { state: true },
  };
  api?: SparkTileApi;
  models: Model[] = [];
  active: { modelId: string; servedName: string; since: string; vllmVersion?: string; nodes?: string[] } | null = null;
  /** Bytes on disk per model id (null = not downloaded); filled by one `du` over SSH, so loaded apart from the list. */
  disk: Record<string, number | null> = {};
  /** Start the previous model again if this swap fails; starts as the plugin's setting, changed per swap here. */
  rollback: boolean | undefined;
  /** Models share the Sparks (maxResident > 1): Swap loads the model beside the others. */
  shared = false;
  /** Fit estimate per model id (weights + KV cache vs. memory per Spark), loaded with the disk sizes. */
  fit: Record<string, Fit> = {};
  /** Running download jobs by model id, live from job.update events. */
  downloads: Record<string, Job & { progress?: number }> = {};
  /** The served model's container went away without a swap. */
  lost: { modelId: string; servedName: string; at: string; container: string } | null = null;
  job: Job | null = null;
  running = false;
  metrics?: Metrics;
  filter = '';
  adding = false;
  addErrors: Record<string, string> = {};
  error = '';
  /** What Link Sparks did (or why it could not), shown under a failed swap that needed it. */
  linkNote = '';
  /** Outcome of the last catalog export/import, shown under the search row. */
  transfer: { ok: boolean; text: string; fields?: string[] } | null = null;
  tick = 0;
  /** The finished swap whose panel the user closed (a new swap shows its own). */
  dismissedJob = '';
  /** The served model's answer to the try-a-prompt box. */
  answer: { text: string; ms: number; tokens?: number; error?: boolean } | null = null;
  asking = false;
  private timers: Array<ReturnType<typeof setInterval>> = [];
  private offs: Array<() => void> = [];

  static styles = css`
    .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: var(--spark-gap, 12px); margin: 8px 0; }
    :host { display: block; font-family: var(--spark-font); color: var(--spark-text); }
    .current { display: flex; gap: 12px; flex-wrap: wrap; align-items: baseline; margin-bottom: 10px; }
    .current b { font-size: 1.05rem; }
    .stats { display: flex; gap: 14px; flex-wrap: wrap; color: var(--spark-muted); font-size: 0.85rem; }
    .stats span b { color: var(--spark-text); }
    input, button { font: inherit; font-size: 0.88rem; }
    input { padding: 6px 8px; border-radius: 8px; border: 1px solid var(--spark-border); background: var(--spark-bg); color: var(--spark-text); }
    button { padding: 5px 10px; border-radius: 8px; border: 1px solid var(--spark-border); background: var(--spark-surface-2); color: var(--spark-text); cursor: pointer; }
    button.primary { background: var(--spark-accent); color: var(--spark-accent-text, #fff); border-color: var(--spark-accent); }
    button:disabled { opacity: 0.5; cursor: default; }
    ul { list-style: none; padding: 0; margin: 8px 0; max-height: 280px; overflow: auto; }
    li { display: flex; gap: 8px; align-items: center; justify-content: space-between; padding: 6px 0; border-bottom: 1px solid var(--spark-border); flex-wrap: wrap; }
    .m { min-width: 0; }
    .src { color: var(--spark-muted); font-size: 0.78rem; overflow-wrap: anywhere; }
    .src a { color: var(--spark-accent); }
    a.page { color: var(--spark-accent); font-size: 0.85rem; }
    .badge { font-size: 0.72rem; font-weight: 700; padding: 1px 7px; border-radius: 999px; border: 1px solid var(--spark-border); margin-left: 4px; }
    .badge.local { border-color: var(--spark-accent); color: var(--spark-accent); }
    .badge.active { border-color: var(--spark-ok); color: var(--spark-ok); }
    .badge.loading { border-color: var(--spark-warn); color: var(--spark-warn); }
    .badge.failed { border-color: var(--spark-err); color: var(--spark-err); }
    .badge.fit-fits { font-weight: 500; color: var(--spark-muted); }
    .badge.fit-needs-more-sparks { border-color: var(--spark-warn); color: var(--spark-warn); }
    .badge.fit-too-large { border-color: var(--spark-err); color: var(--spark-err); }
    .progress { border: 1px solid var(--spark-border); border-radius: 10px; padding: 10px; margin: 8px 0; background: var(--spark-surface-2); }
    .phases { display: flex; gap: 4px; flex-wrap: wrap; margin: 6px 0; }
    .phases span { font-size: 0.72rem; padding: 2px 6px; border-radius: 6px; background: var(--spark-bg); color: var(--spark-muted); }
    .phases span.done { color: var(--spark-ok); }
    .phases span.now { background: var(--spark-accent); color: var(--spark-accent-text, #fff); }
    pre { font-family: var(--spark-mono); font-size: 0.74rem; max-height: 150px; overflow: auto; background: var(--spark-bg); border: 1px solid var(--spark-border); border-radius: 8px; padding: 6px; white-space: pre-wrap; margin: 6px 0 0; }
    .err { color: var(--spark-err); }
    .muted { color: var(--spark-muted); font-size: 0.85rem; }
    dialog { border: 1px solid var(--spark-border); border-radius: 12px; background: var(--spark-surface); color: var(--spark-text); max-width: 460px; width: 92vw; }
    dialog form { display: grid; gap: 8px; }
    dialog label { font-weight: 600; font-size: 0.85rem; }
    .fielderr { color: var(--spark-err); font-size: 0.78rem; }
    label.file { padding: 5px 10px; border-radius: 8px; border: 1px solid var(--spark-border); background: var(--spark-surface-2); color: var(--spark-text); cursor: pointer; font-size: 0.88rem; }
    label.check { display: inline-flex; gap: 4px; align-items: center; font-size: 0.85rem; color: var(--spark-muted); cursor: pointer; }
    label.file input { position: absolute; width: 1px; height: 1px; opacity: 0; }
    ul.fields { max-height: none; margin: 4px 0; font-size: 0.8rem; }
    ul.fields li { padding: 0; border: 0; }
    .row { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }
    .progress .row { position: relative; padding-right: 28px; }
    button.close { position: absolute; right: 0; top: 0; padding: 0 8px; font-size: 1.1rem; line-height: 1.4; border: 0; background: transparent; }
    .ask { display: grid; gap: 4px; margin: 6px 0 10px; }
    .ask label { font-weight: 600; font-size: 0.85rem; }
    .ask input { flex: 1; min-width: 160px; }
    .answer { white-space: pre-wrap; font-size: 0.88rem; padding: 6px 8px; border-radius: 8px; background: var(--spark-surface-2); border: 1px solid var(--spark-border); max-height: 240px; overflow: auto; }
    code { font-family: var(--spark-mono); font-size: 0.8rem; }
    /* On a phone the page scrolls, not a box inside it: nothing hides below an inner scrollbar. */
    @media (max-width: 720px) { ul, .answer { max-height: none; } }
  `;

  connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    this.timers.push(setInterval(() => { this.tick++; if (this.active) void this.loadMetrics(); }, 5000));
    if (this.api) {
      this.offs.push(this.api.subscribe('vllm.swap.', () => void this.load()));
      this.offs.push(this.api.subscribe('vllm.model.', () => void this.load()));
      this.offs.push(this.api.subscribe('vllm.download.', () => { void this.load(); void this.loadDisk(); }));
      this.offs.push(this.api.subscribe('job.update', (e) => {
        const j = e.data as Job & { kind: string };
        // With models sharing the Sparks the owner's swap is a load beside the others (vllm.load), whose own slot's
        // swap must not take its place in the panel while it runs.
        if (j.kind === 'vllm.load' ? j.meta?.reason === 'swap' : j.kind === 'vllm.swap' && !this.followingLoad) { this.job = { ...j, modelId: String(j.meta?.modelId ?? '') }; this.running = !j.endedAt; }
        if (j.kind === 'vllm.download' && j.meta?.modelId) {
          const { [String(j.meta.modelId)]: _old, ...rest } = this.downloads;
          this.downloads = j.endedAt ? rest : { ...rest, [String(j.meta.modelId)]: j };
        }
      }));
    }
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.timers.forEach(clearInterval);
    this.offs.forEach((f) => f());
  }

  private async load() {
    try {
      const [m, s] = await Promise.all([this.api!.json<{ models: Model[]; active: VllmTile['active'] }>('/models'), this.api!.json<{ running: boolean; job: Job | null; active: VllmTile['active']; lost: VllmTile['lost']; rollbackOnFailure: boolean; shared: boolean }>('/swap')]);
      this.rollback ??= s.rollbackOnFailure;
      this.shared = s.shared;
      this.models = m.models;
      this.downloads = Object.fromEntries(m.models.filter((x) => x.download && !x.download.endedAt).map((x) => [x.id, x.download!]));
      if (!Object.keys(this.disk).length) void this.loadDisk();
      this.active = s.active;
      this.lost = s.lost;
      // GET /swap is slot 1's swap; a load beside the others is followed by its own job updates.
      if (!this.followingLoad) { this.job = s.job; this.running = s.running; }
      if (this.active) void this.loadMetrics();
      this.error = '';
    } catch (e) { this.error = (e as Error).message; }
  }

  /** Sizes of the downloaded weights and the fit estimate from one round trip over SSH (a model not on the Spark has
   *  no size here, whatever its catalog entry declares). */
  private async loadDisk() {
    try {
      const f = await this.api!.json<{ models: Fit[] }>('/fit');
      this.disk = Object.fromEntries(f.models.map((x) => [x.id, x.onSpark ? x.weightsBytes : null]));
      this.fit = Object.fromEntries(f.models.map((x) => [x.id, x]));
    } catch { /* sizes and the estimate are optional extras */ }
  }

  private async download(m: Model) {
    try {
      const j = await this.api!.json<Job>(`/models/${m.id}/download`, { method: 'POST' });
      this.downloads = { ...this.downloads, [m.id]: j };
      this.error = '';
    } catch (e) { this.error = (e as Error).message; }
  }

  private async cancelDownload(j: Job) {
    try { await this.api!.json(`/api/jobs/${j.id}/cancel`, { method: 'POST' }); } catch (e) { this.error = (e as Error).message; }
  }

  private diskNote(m: Model) {
    const dl = this.downloads[m.id];
    if (dl) return html` · <span data-testid="download">downloading ${Math.round((dl.progress ?? 0) * 100)}%</span>`;
    if (!(m.id in this.disk)) return nothing;
    const b = this.disk[m.id];
    return b === null ? html` · <span class="muted">not downloaded</span>` : html` · ${fmtBytes(b)} on disk`;
  }

  /** A badge when the estimate has something to say; its tooltip is the estimate's own sentence. */
  private fitBadge(m: Model) {
    const f = this.fit[m.id];
    if (!f || f.verdict === 'unknown') return nothing;
    const label = f.verdict === 'fits' ? `fits ${m.tensorParallel > 1 ? `${m.tensorParallel} Sparks` : '1 Spark'}` : f.verdict === 'needs-more-sparks' ? `needs ${f.sparksNeeded} Sparks` : 'too large';
    return html`<span class="badge fit-${f.verdict}" data-testid="fit" title=${f.summary}>${label}</span>`;
  }

  private async loadMetrics() {
    try { this.metrics = await this.api!.json<Metrics>('/metrics'); } catch { this.metrics = undefined; }
  }

  private async swap(m: Model) {
    const took = m.lastLoadSeconds != null ? ` (last time it took ${fmtDuration(m.lastLoadSeconds)})` : '';
    const fit = this.fit[m.id];
    const warn = fit && (fit.verdict === 'needs-more-sparks' || fit.verdict === 'too-large') ? `\n\nWarning: ${fit.summary}` : '';
    const back = this.rollback && this.active ? ` If it fails, ${this.models.find((x) => x.id === this.active!.modelId)?.name ?? this.active.servedName} is started again.` : '';
    const across = m.tensorParallel > 1 ? ` It runs across ${m.tensorParallel} Sparks (tensor parallel): its container on the other Spark${m.tensorParallel > 2 ? 's' : ''} starts too, and whatever runs there under the same container name stops.` : '';
    if (this.shared) {
      // Models share the Sparks: nothing stops unless the new one needs room (the least recently used first; pinned never).
      if (!confirm(`Load ${m.name} beside the models already served?\n\nIf the Sparks' memory budget has no room for it, the least recently used models sleep (or stop) first; pinned ones never do. Loading takes about ${m.expectedLoadMinutes} min${took}.${across}${warn}`)) return;
    } else if (!confirm(`Swap to ${m.name}?\n\nThe current model stops now, after requests in flight finish. Loading takes about ${m.expectedLoadMinutes} min${took}; the OpenAI API answers 503 until it is ready.${across}${back}${warn}`)) return;
    try { this.job = await this.api!.json<Job>('/swap', { method: 'POST', jsonBody: { model: m.id, rollback: !!this.rollback } }); this.running = true; this.error = ''; this.linkNote = ''; } catch (e) { this.error = (e as Error).message; }
  }

  /** The head's ssh to the other Sparks, set up by the plugin (POST /link) after a swap across Sparks needed it. */
  private async linkSparks() {
    this.linkNote = 'Linking…';
    try {
      const r = await this.api!.json<{ head: { hostId: string; keyCreated: boolean }; sparks: Array<{ hostId: string; address: string; key: string }> }>('/link', { method: 'POST' });
      this.linkNote = `Linked: ${r.head.hostId} now reaches ${r.sparks.map((w) => `${w.hostId} (${w.address})`).join(', ')} by ssh${r.head.keyCreated ? ' with a key made for it' : ''}. Swap again to start the model.`;
    } catch (e) { this.linkNote = (e as Error).message; }
  }

  private async cancel() {
    // A load beside the others is a job of its own: cancelling it cancels the slot's swap it waits for.
    const path = this.job?.kind === 'vllm.load' ? `/api/jobs/${encodeURIComponent(this.job.id)}/cancel` : '/swap/cancel';
    try { await this.api!.json(path, { method: 'POST' }); } catch (e) { this.error = (e as Error).message; }
  }

  private async addLocal(ev: Event) {
    ev.preventDefault();
    const f = new FormData(ev.target as HTMLFormElement);
    const body: Record<string, unknown> = {
      id: String(f.get('id') ?? '').trim(), name: String(f.get('name') ?? '').trim(), servedName: String(f.get('servedName') ?? '').trim(),
      localPath: String(f.get('localPath') ?? '').trim(), expectedLoadMinutes: Number(f.get('expectedLoadMinutes') || 20),
      args: String(f.get('args') ?? '').split(/\s+/).filter(Boolean),
    };
    const tpl = String(f.get('chatTemplate') ?? '').trim();
    if (tpl) body.chatTemplate = tpl;
    try {
      await this.api!.json('/models', { method: 'POST', jsonBody: body });
      this.adding = false;
      this.addErrors = {};
      await this.load();
    } catch (e) {
      this.addErrors = (e as { fields?: Record<string, string> }).fields ?? { '': (e as Error).message };
    }
  }

  /** Downloads the user-added models as the JSON file another Spark Control imports. */
  private async exportModels() {
    try {
      const doc = await this.api!.json<{ models: unknown[] }>('/models/export');
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' }));
      a.download = 'spark-control-models.json';
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      this.transfer = { ok: true, text: `Exported ${doc.models.length} user-added model${doc.models.length === 1 ? '' : 's'}.` };
    } catch (e) {
      this.transfer = { ok: false, text: (e as Error).message };
    }
  }

  /** Imports an exported file (merge by id); the server validates every entry and refuses the file as a whole. */
  private async importModels(ev: Event) {
    const input = ev.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    let doc: unknown;
    try {
      doc = JSON.parse(await file.text());
    } catch {
      this.transfer = { ok: false, text: `${file.name} is not a JSON file exported by Spark Control.` };
      return;
    }
    const body = Array.isArray(doc) ? { models: doc } : { ...(doc as object), mode: 'merge', dryRun: false };
    try {
      const r = await this.api!.json<{ added: string[]; updated: string[]; unchanged: string[] }>('/models/import', { method: 'POST', jsonBody: body });
      this.transfer = { ok: true, text: `Imported ${file.name}: ${r.added.length} added, ${r.updated.length} updated, ${r.unchanged.length} unchanged.` };
      await this.load();
      void this.loadDisk();
    } catch (e) {
      const fields = (e as { fields?: Record<string, string> }).fields;
      this.transfer = { ok: false, text: `${file.name} was not imported (nothing changed): ${(e as Error).message}`, fields: fields ? Object.entries(fields).map(([f, m]) => `${f}: ${m}`) : undefined };
    }
  }

  /** One chat completion against the served model, through this service's own /v1 (what an OpenAI client sees). */
  private async ask(ev: Event) {
    ev.preventDefault();
    const prompt = String(new FormData(ev.target as HTMLFormElement).get('prompt') ?? '').trim();
    const model = this.promptTarget;
    if (!prompt || !model) return;
    this.asking = true;
    const t0 = performance.now();
    try {
      const r = await this.api!.json<{ choices: Array<{ message: { content: string } }>; usage?: { completion_tokens?: number } }>('/v1/chat/completions', {
        method: 'POST', jsonBody: { model, messages: [{ role: 'user', content: prompt }], max_tokens: 256 },
      });
      this.answer = { text: r.choices[0]?.message?.content ?? '', ms: Math.round(performance.now() - t0), tokens: r.usage?.completion_tokens };
    } catch (e) {
      this.answer = { text: (e as Error).message, ms: 0, error: true };
    } finally { this.asking = false; }
  }

  private tryPrompt() {
    const target = this.promptTarget;
    const why = !target ? 'No model is being served: swap one in first' : this.running && this.active ? 'A swap is running; the API answers 503 until it is ready' : '';
    return html`<form class="ask" @submit=${this.ask} data-testid="try-prompt">
      <label for="prompt">Try a prompt${target ? html` on <code>${target}</code>` : nothing}</label>
      <div class="row"><input id="prompt" name="prompt" placeholder="Ask the served model something" autocomplete="off">
        <button class="primary" ?disabled=${!!why || this.asking} title=${why}>${this.asking ? 'Asking…' : 'Ask'}</button></div>
      ${why ? html`<span class="muted">${why}.</span>` : nothing}
      ${this.answer ? html`<div class=${this.answer.error ? 'err' : 'answer'} data-testid="answer">${this.answer.text}</div>${this.answer.error ? nothing : html`<span class="muted">${this.answer.ms < 1000 ? `${this.answer.ms} ms` : fmtDuration(this.answer.ms / 1000)}${this.answer.tokens ? ` · ${this.answer.tokens} tokens` : ''}</span>`}` : nothing}
    </form>`;
  }

  /** Why the Swap button of `m` is greyed out ('' = it is not). */
  private swapBlocked(m: Model): string {
    if (m.state === 'active') return 'This model is already being served';
    if (this.running) return 'Another swap is running';
    if (this.downloads[m.id]) return 'Wait for the download to finish';
    if (m.kind === 'hf' && this.disk[m.id] === null) return 'Not on the Spark yet: press Download first';
    return '';
  }

  /** The panel shows a load beside the others (models sharing the Sparks), not slot 1's swap: while it runs, and after
   *  it ended for as long as the models share the Sparks (slot 1's swap, GET /swap's job, was only part of it). */
  private get followingLoad(): boolean { return this.job?.kind === 'vllm.load' && (this.job.state === 'running' || this.shared); }

  /** Every model serving now (every slot's, with models sharing the Sparks), as the catalog reports them. */
  private get serving(): Model[] { return this.models.filter((m) => m.state === 'active'); }

  /** The served name a prompt goes to: the swapped-in model, or with models sharing the Sparks the first one serving. */
  private get promptTarget(): string | undefined { return this.active?.servedName ?? (this.shared ? this.serving[0]?.servedName : undefined); }

  private progress() {
    const j = this.job;
    if (!j || (j.endedAt && j.id === this.dismissedJob)) return nothing;
    // The job says its own phases: a swap's, or a load's beside the others (plan, evict, load, serving).
    const phases = j.phases?.length ? j.phases : PHASES;
    const idx = phases.indexOf(j.phase ?? '');
    const model = this.models.find((m) => m.id === j.modelId);
    const load = j.kind === 'vllm.load';
    const what = j.state === 'running' ? (load ? 'Loading' : 'Swapping to') : j.state === 'succeeded' ? (load ? 'Serving' : 'Swapped to')
      : j.state === 'cancelled' ? (load ? 'Cancelled load of' : 'Cancelled swap to') : (load ? 'Load failed:' : 'Swap failed:');
    return html`<div class="progress" data-testid="swap" data-kind=${j.kind ?? 'vllm.swap'}>
      <div class="row"><b>${what} ${model?.name ?? j.modelId}${load && j.state === 'running' ? ' beside the others' : ''}</b>
        <span class="muted">${elapsed(j.startedAt, j.endedAt)}${model && j.state === 'running' ? ` of ~${model.expectedLoadMinutes} min` : ''}</span>
        ${this.running ? html`<button @click=${this.cancel}>Cancel</button>` : nothing}
        ${j.endedAt ? html`<button class="close" aria-label="Close" title="Close" data-testid="swap-close" @click=${() => { this.dismissedJob = j.id; }}>×</button>` : nothing}</div>
      <div class="phases">${phases.map((p, i) => html`<span class=${i < idx || j.state === 'succeeded' ? 'done' : i === idx && j.state === 'running' ? 'now' : ''}>${p}</span>`)}</div>
      ${j.error ? html`<div class="err" data-testid="swap-error">${j.error.message}${j.error.phase ? ` (during ${j.error.phase})` : ''}</div>` : nothing}
      ${j.error?.code === 'VLLM_LINK_SSH' ? html`<div class="row"><button data-testid="link-sparks" ?disabled=${this.linkNote.startsWith('Link')} @click=${this.linkSparks}>Link Sparks</button><span class="muted" data-testid="link-note">${this.linkNote}</span></div>` : nothing}
      ${j.logTail?.length ? html`<pre>${j.logTail.slice(-14).join('\n')}</pre>` : nothing}
    </div>`;
  }

  private dialog() {
    // The catalog's "one of repo or localPath" rule names a field this form does not have: it is the directory's.
    const { repo, ...e } = this.addErrors;
    if (repo && !e.localPath) e.localPath = 'required: a folder on the Spark with config.json and the weights';
    const field = (name: string, label: string, placeholder = '', required = true) => html`<label for=${name}>${label}</label>
      <input id=${name} name=${name} placeholder=${placeholder} ?required=${required}>${e[name] ? html`<span class="fielderr" data-field=${name}>${e[name]}</span>` : nothing}`;
    return html`<dialog open data-testid="add-local">
      <form @submit=${this.addLocal} novalidate>
        <b>Add a local model</b>
        <span class="muted">A directory on the Spark with config.json and weights. It is mounted read-only at the same path.</span>
        ${field('localPath', 'Directory on the Spark', '/home/<spark-user>/models/my-model')}
        ${field('id', 'Id', 'my-model')}
        ${field('name', 'Display name', 'My fine-tune')}
        ${field('servedName', 'Name in the OpenAI API', 'my-model')}
        ${field('chatTemplate', 'Chat template file (optional, inside the directory)', '', false)}
        ${field('args', 'Extra vLLM arguments (optional)', '--max-model-len 32768', false)}
        ${field('expectedLoadMinutes', 'Expected load time (minutes)', '20', false)}
        ${e[''] ? html`<span class="fielderr">${e['']}</span>` : nothing}
        <div class="row"><button class="primary" type="submit">Add</button><button type="button" @click=${() => { this.adding = false; this.addErrors = {}; }}>Cancel</button></div>
      </form></dialog>`;
  }

  render() {
    const q = this.filter.toLowerCase();
    const list = this.models.filter((m) => !q || `${m.name} ${m.id} ${m.repo ?? ''} ${m.localPath ?? ''}`.toLowerCase().includes(q));
    const activeModel = this.models.find((m) => m.id === this.active?.modelId);
    const mt = this.metrics;
    return html`
      <div class="current">
        ${this.shared && this.serving.length > 1 ? html`<b data-testid="active">Serving ${this.serving.map((m) => m.name).join(', ')}</b><span class="muted">${this.serving.length} models sharing the Sparks: the memory bar and the table below show each${this.serving.map((m) => html` · <a href=${`#/model/${encodeURIComponent(m.servedName)}`}>${m.servedName} →</a>`)}</span>`
          : this.active ? html`<b data-testid="active">${activeModel?.name ?? this.active.servedName}</b><span class="muted">as <code>${this.active.servedName}</code> for ${elapsed(this.active.since)}${this.active.nodes?.length ? ` · on ${this.active.nodes.join(' + ')}` : ''}${this.active.vllmVersion ? ` · vLLM ${this.active.vllmVersion}` : ''}</span>`
          : this.shared && this.serving.length ? html`<b data-testid="active">${this.serving[0].name}</b><span class="muted">as <code>${this.serving[0].servedName}</code>, sharing the Sparks · <a href=${`#/model/${encodeURIComponent(this.serving[0].servedName)}`}>full page →</a></span>`
          : html`<b>No model active</b>${this.lost ? html`<span class="err" data-testid="lost">${this.lost.servedName} stopped without a swap at ${new Date(this.lost.at).toLocaleTimeString()} (container ${this.lost.container}). It is not restarted automatically: press Swap to start it again.</span>` : nothing}`}
        ${mt ? html`<div class="stats"><span>running <b>${mt.running ?? '–'}</b></span><span>waiting <b>${mt.waiting ?? '–'}</b></span><span>KV cache <b>${mt.kvCachePct ?? '–'}%</b></span><span>tokens/s <b>${mt.tokensPerSecond ?? '–'}</b></span></div>` : nothing}
      </div>
      ${this.active ? html`<div class="charts" data-testid="vllm-charts">
        <spark-history-chart series="vllm.generation_tokens" label="Tokens/s" marks="vllm" height="110"></spark-history-chart>
        <spark-history-chart series="vllm.kv_cache" label="KV cache" marks="vllm" height="110"></spark-history-chart>
      </div>
      <a class="page" href=${`#/model/${encodeURIComponent(this.active.servedName)}`} data-testid="model-page" title="Requests, KV cache, tokens/s and time to first token over up to 30 days, with the swaps">Full page →</a>` : nothing}
      <spark-vllm-memory-bar .api=${this.api}></spark-vllm-memory-bar>
      <spark-vllm-ondemand .api=${this.api}></spark-vllm-ondemand>
      <spark-vllm-logs .api=${this.api}></spark-vllm-logs>
      <spark-vllm-activity .api=${this.api}></spark-vllm-activity>
      <spark-vllm-benchmarks .api=${this.api}></spark-vllm-benchmarks>
      ${this.progress()}
      ${this.tryPrompt()}
      <div class="row"><input type="search" placeholder="Search models" aria-label="Search models" @input=${(e: Event) => { this.filter = (e.target as HTMLInputElement).value; }}>
        <button @click=${() => { this.adding = true; }}>+ Add local model</button>
        <label class="check" title="If the new model fails to load, start the one that ran before (once; never after a cancel)"><input type="checkbox" data-testid="rollback" .checked=${!!this.rollback} @change=${(e: Event) => { this.rollback = (e.target as HTMLInputElement).checked; }}> roll back on failure</label>
        <button title="Download your added models as a file" @click=${this.exportModels}>Export</button>
        <label class="file" title="Add models from a file exported by Spark Control">Import…<input type="file" accept=".json,application/json" data-testid="import-file" @change=${this.importModels}></label></div>
      ${this.transfer ? html`<div class=${this.transfer.ok ? 'muted' : 'err'} data-testid="transfer">${this.transfer.text}${this.transfer.fields?.length ? html`<ul class="fields">${this.transfer.fields.slice(0, 8).map((f) => html`<li>${f}</li>`)}</ul>` : nothing}</div>` : nothing}
      <ul>${list.map((m) => html`<li data-model=${m.id}>
        <div class="m"><b>${m.name}</b>${m.kind === 'local' ? html`<span class="badge local">local</span>` : nothing}${m.tensorParallel > 1 ? html`<span class="badge" title="tensor parallel ${m.tensorParallel}: runs across ${m.tensorParallel} Sparks, one GPU each">${m.tensorParallel} Sparks</span>` : nothing}${m.state !== 'stopped' ? html`<span class="badge ${m.state}">${m.state}</span>` : nothing}${this.fitBadge(m)}
          <div class="src">${m.localPath ? html`<code>${m.localPath}</code>` : html`<a href="https://huggingface.co/${m.repo}" target="_blank" rel="noopener noreferrer">${m.repo}</a>`} · ~${m.expectedLoadMinutes} min${m.lastLoadSeconds != null ? html` <span title="measured on the last successful load">(last ${fmtDuration(m.lastLoadSeconds)})</span>` : nothing}${this.diskNote(m)}</div></div>
        <div class="row">
          ${this.downloads[m.id] ? html`<button @click=${() => this.cancelDownload(this.downloads[m.id])}>Stop download</button>`
            : m.kind === 'hf' && this.disk[m.id] === null ? html`<button @click=${() => this.download(m)}>Download</button>`
            // Across Sparks every rank loads from its own disk: one job fetches what is missing on each (a no-op where present).
            : m.kind === 'hf' && m.tensorParallel > 1 ? html`<button title="Make sure every Spark it runs on has the files" @click=${() => this.download(m)}>Download on ${m.tensorParallel} Sparks</button>` : nothing}
          <button class="primary" ?disabled=${!!this.swapBlocked(m)} title=${this.swapBlocked(m)} @click=${() => this.swap(m)}>${m.state === 'active' ? 'Active' : 'Swap'}</button></div>
      </li>`)}</ul>
      ${this.error ? html`<p class="err">${this.error}</p>` : nothing}
      ${this.adding ? this.dialog() : nothing}
    `;
  }
}

if (!customElements.get('spark-vllm-tile')) customElements.define('spark-vllm-tile', VllmTile);

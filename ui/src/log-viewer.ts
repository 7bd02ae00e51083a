import { LitElement, css, html } from 'lit';
import { apiJson, events } from './tile-api.js';

/** Lines kept in the page; older ones are dropped so a chatty log never grows the tab without bound. */
export const LOG_VIEWER_MAX_LINES = 2000;

/**
 * `<spark-log-viewer src="/api/plugins/x/logs/follow">` follows an SSE log stream (events `line` {line}, `end` {code},
 * `error` {message}); `<spark-log-viewer job="<job id>">` shows a job's log (its kept tail, then its live `job.log`
 * events). A search box filters the lines and marks the matches; "follow" keeps the newest line in view. Any tile may
 * use it.
 */
export class SparkLogViewer extends LitElement {
  static properties = { src: {}, job: {}, max: { type: Number }, follow: { state: true }, query: { state: true }, status: { state: true } };
  src = '';
  job = '';
  max = LOG_VIEWER_MAX_LINES;
  follow = true;
  query = '';
  status = '';
  private lines: string[] = [];
  private dropped = 0;
  private source?: EventSource;
  private offJob?: () => void;
  private frame = 0;

  static styles = css`
    :host { display: block; font: 12px var(--spark-font); color: var(--spark-text); }
    .bar { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; margin-bottom: 4px; }
    .bar input[type=search] { flex: 1 1 160px; min-width: 0; font: inherit; padding: 4px 6px; }
    .muted { color: var(--spark-muted); }
    .err { color: var(--spark-err); }
    .log { margin: 0; max-height: min(60vh, 480px); overflow: auto; background: var(--spark-bg, #111); border: 1px solid var(--spark-border);
      border-radius: 4px; padding: 4px 6px; font: 11px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
    mark { background: var(--spark-warn, #c90); color: #000; border-radius: 2px; }
  `;

  connectedCallback(): void {
    super.connectedCallback();
    this.open();
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.shut();
  }

  protected willUpdate(changed: Map<string, unknown>): void {
    if ((changed.has('src') || changed.has('job')) && this.isConnected) this.open();
  }

  protected updated(): void {
    if (!this.follow) return;
    const log = this.renderRoot.querySelector('.log');
    if (log) log.scrollTop = log.scrollHeight;
  }

  /** The lines in the buffer (newest last). */
  get buffer(): readonly string[] { return this.lines; }

  private shut() {
    this.source?.close();
    this.source = undefined;
    this.offJob?.();
    this.offJob = undefined;
  }

  private open() {
    this.shut();
    this.lines = [];
    this.dropped = 0;
    this.status = 'connecting…';
    if (this.src) this.openStream(this.src);
    else if (this.job) void this.openJob(this.job);
    else this.status = '';
  }

  private openStream(src: string) {
    // A dropped connection is not retried by EventSource here: a reconnect would send the tail again as new lines.
    const es = new EventSource(src);
    this.source = es;
    es.onopen = () => { this.status = 'following'; };
    es.addEventListener('line', (e) => this.push((JSON.parse((e as MessageEvent).data) as { line: string }).line));
    es.addEventListener('end', (e) => { this.status = `ended (exit ${(JSON.parse((e as MessageEvent).data) as { code: number }).code})`; es.close(); });
    es.addEventListener('error', (e) => {
      const data = (e as MessageEvent).data;
      this.status = data ? `error: ${(JSON.parse(data) as { message: string }).message}` : 'disconnected';
      es.close();
    });
  }

  private async openJob(id: string) {
    const pending: string[] = [];
    let loaded = false;
    this.offJob = events.subscribe('job.log', (e) => {
      const d = e.data as { id?: string; line?: string };
      if (d.id !== id || typeof d.line !== 'string') return;
      if (loaded) this.push(d.line);
      else pending.push(d.line);
    });
    try {
      const j = await apiJson<{ logTail: string[]; state: string }>(`/api/jobs/${encodeURIComponent(id)}`);
      for (const l of j.logTail) this.push(l);
      this.status = j.state === 'running' ? 'following' : j.state;
    } catch (e) {
      this.status = `error: ${(e as Error).message}`;
    }
    loaded = true;
    for (const l of pending) this.push(l);
  }

  private push(line: string) {
    this.lines.push(line);
    if (this.lines.length > this.max) {
      const n = this.lines.length - this.max;
      this.lines.splice(0, n);
      this.dropped += n;
    }
    // One render per frame, however many lines arrive.
    if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.requestUpdate(); });
  }

  private mark(line: string, q: string) {
    if (!q) return line;
    const parts = [];
    const low = line.toLowerCase();
    let at = 0;
    for (let i = low.indexOf(q); i !== -1; i = low.indexOf(q, at)) {
      parts.push(line.slice(at, i), html`<mark>${line.slice(i, i + q.length)}</mark>`);
      at = i + q.length;
    }
    parts.push(line.slice(at));
    return parts;
  }

  render() {
    const q = this.query.toLowerCase();
    const shown = q ? this.lines.filter((l) => l.toLowerCase().includes(q)) : this.lines;
    return html`<div class="bar">
        <input type="search" placeholder="Search the log" aria-label="Search the log" data-testid="log-search" .value=${this.query} @input=${(e: Event) => { this.query = (e.target as HTMLInputElement).value; }}>
        <label><input type="checkbox" data-testid="log-follow" .checked=${this.follow} @change=${(e: Event) => { this.follow = (e.target as HTMLInputElement).checked; }}> follow</label>
        <span class="muted" data-testid="log-count">${q ? `${shown.length} of ` : ''}${this.lines.length} lines${this.dropped ? ` (${this.dropped} older dropped)` : ''}</span>
        <span class=${this.status.startsWith('error') ? 'err' : 'muted'} data-testid="log-status">${this.status}</span>
      </div>
      <pre class="log" data-testid="log-lines">${shown.length ? shown.map((l) => html`<div>${this.mark(l, q)}</div>`) : html`<span class="muted">${q ? 'no line matches' : 'no lines yet'}</span>`}</pre>`;
  }
}

if (!customElements.get('spark-log-viewer')) customElements.define('spark-log-viewer', SparkLogViewer);

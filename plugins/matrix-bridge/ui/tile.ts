import { LitElement, css, html, nothing } from 'lit';
import type { SparkTileApi } from '@spark-control/plugin-api';

interface StatusView { enabled: boolean; container: string; hostId: string; text: string; status: { state: string }; checkedAt?: string; busy: { kind: string; jobId?: string } | null }
interface Job { id: string; state: string; phase?: string; logTail: string[]; error?: { message: string; phase?: string }; startedAt: string; endedAt?: string; kind: string }

/** Matrix bot tile: docker state badge, actions, update progress and a live log view. */
export class MatrixBridgeTile extends LitElement {
  static properties = { api: { attribute: false }, view: { state: true }, job: { state: true }, logs: { state: true }, following: { state: true }, error: { state: true }, pending: { state: true } };
  api?: SparkTileApi;
  view?: StatusView;
  job?: Job;
  logs: string[] = [];
  following = false;
  error = '';
  pending = '';
  private offs: Array<() => void> = [];
  private source?: EventSource;

  static styles = css`
    :host { display: block; font-family: var(--spark-font); color: var(--spark-text); }
    .row { display: flex; gap: var(--spark-gap, 8px); align-items: center; flex-wrap: wrap; margin-bottom: 8px; }
    .badge { padding: 2px 10px; border-radius: 999px; font-weight: 600; font-size: 0.85em; background: var(--spark-surface-2); border: 1px solid var(--spark-border); }
    .badge.running { color: var(--spark-ok); border-color: var(--spark-ok); }
    .badge.restarting, .badge.unhealthy { color: var(--spark-warn); border-color: var(--spark-warn); }
    .badge.exited, .badge.missing, .badge.unknown { color: var(--spark-err); border-color: var(--spark-err); }
    button { font: inherit; padding: 4px 12px; border-radius: var(--spark-radius, 6px); border: 1px solid var(--spark-border); background: var(--spark-surface-2); color: var(--spark-text); cursor: pointer; }
    button:disabled { opacity: 0.5; cursor: default; }
    pre { font-family: var(--spark-mono); font-size: 0.8em; background: var(--spark-bg); border: 1px solid var(--spark-border); border-radius: var(--spark-radius, 6px); padding: 8px; max-height: 220px; overflow: auto; white-space: pre-wrap; margin: 0; }
    .muted { color: var(--spark-muted); font-size: 0.85em; }
    .err { color: var(--spark-err); }
  `;

  connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    if (this.api) {
      this.offs.push(this.api.subscribe('matrix-bridge.status', () => void this.load()));
      this.offs.push(this.api.subscribe('job.update', (e) => {
        const j = e.data as Job;
        if (j.kind !== 'matrix-bridge.update') return;
        this.job = j;
        if (j.endedAt) void this.load(); // the action lock is released: buttons come back
      }));
    }
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.offs.forEach((f) => f());
    this.stopFollow();
  }

  private async load() {
    try {
      this.view = await this.api!.json<StatusView>('/status');
      this.error = '';
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  private async act(verb: string) {
    if (verb === 'update' && !confirm('Update pulls the latest code, rebuilds the image and recreates the container. Continue?')) return;
    this.pending = verb;
    try {
      const r = await this.api!.json<Job | { after: string }>(verb === 'update' ? '/update' : `/actions/${verb}`, { method: 'POST' });
      if ('id' in r) this.job = r as Job;
      await this.load();
      this.error = '';
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.pending = '';
    }
  }

  private follow() {
    this.stopFollow();
    this.logs = [];
    this.following = true;
    this.source = new EventSource(`${this.api!.base}/logs/follow?lines=100`);
    this.source.addEventListener('line', (ev) => {
      this.logs = [...this.logs.slice(-499), JSON.parse((ev as MessageEvent).data).line];
    });
    this.source.addEventListener('error', () => { /* EventSource reconnects by itself */ });
  }

  private stopFollow() {
    this.source?.close();
    this.source = undefined;
    this.following = false;
  }

  render() {
    const v = this.view;
    if (!v) return html`<p class="muted">${this.error || 'Loading…'}</p>`;
    const state = v.status.state === 'running' && v.text.includes('unhealthy') ? 'unhealthy' : v.status.state;
    const busy = !!v.busy || !!this.pending;
    /** Said on every greyed-out button, so nobody wonders why it does not press. */
    const why = busy ? `Wait: ${this.pending ? `${this.pending} is being sent` : 'an update or restart of the bot is running'}` : '';
    const job = this.job;
    return html`
      <div class="row">
        <span class="badge ${state}" data-testid="bot-state">${v.text}</span>
        <span class="muted">${v.container} on ${v.hostId}</span>
      </div>
      <div class="row">
        <button ?disabled=${busy} title=${why} @click=${() => this.act('update')}>Update</button>
        <button ?disabled=${busy} title=${why} @click=${() => this.act('restart')}>Restart</button>
        ${v.status.state === 'running'
          ? html`<button ?disabled=${busy} title=${why} @click=${() => this.act('stop')}>Stop</button>`
          : html`<button ?disabled=${busy} title=${why} @click=${() => this.act('start')}>Start</button>`}
        ${this.following ? html`<button @click=${() => this.stopFollow()}>Close logs</button>` : html`<button @click=${() => this.follow()}>View logs</button>`}
      </div>
      ${this.error ? html`<p class="err">${this.error}</p>` : nothing}
      ${job ? html`<p class="muted" data-testid="job">Update: ${job.state}${job.phase ? ` — ${job.phase}` : ''}${job.error ? html` — <span class="err">${job.error.message}</span>` : nothing}</p>
        ${job.logTail.length ? html`<pre>${job.logTail.slice(-12).join('\n')}</pre>` : nothing}` : nothing}
      ${this.following ? html`<pre data-testid="logs">${this.logs.join('\n') || 'waiting for log lines…'}</pre>` : nothing}
    `;
  }
}

if (!customElements.get('spark-matrix-bridge-tile')) customElements.define('spark-matrix-bridge-tile', MatrixBridgeTile);

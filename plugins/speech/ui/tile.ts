import { LitElement, css, html, nothing } from 'lit';
import type { SparkTileApi } from '../../../core/src/api/tile.js';

interface Block { start_ms: number; end_ms: number; speaker: string; text: string }
const COLORS = ['var(--spark-accent)', 'var(--spark-ok)', 'var(--spark-warn)', 'var(--spark-err)'];

/** Service health, queue, recent requests; try transcription (upload) with speaker colours; hear TTS. */
export class SpeechTile extends LitElement {
  static properties = { api: { attribute: false }, status: { state: true }, health: { state: true }, blocks: { state: true }, error: { state: true }, audioUrl: { state: true }, busy: { state: true } };
  api?: SparkTileApi;
  status?: { queues: Record<string, { inFlight: number; waiting: number }>; recent: Array<{ at: string; route: string; ms: number; status: number }> };
  health?: Array<{ name: string; status: string }>;
  blocks?: Block[];
  error = '';
  audioUrl = '';
  busy = false;

  static styles = css`
    :host { display: block; font-family: var(--spark-font); color: var(--spark-text); }
    .muted { color: var(--spark-muted); font-size: 0.82rem; }
    .dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: var(--spark-err); margin-right: 4px; }
    .dot.up { background: var(--spark-ok); }
    form { display: flex; gap: 6px; flex-wrap: wrap; align-items: center; margin: 8px 0; }
    input, button, textarea { font: inherit; font-size: 0.86rem; }
    textarea, input[type=text] { flex: 1; min-width: 140px; padding: 6px; border-radius: 8px; border: 1px solid var(--spark-border); background: var(--spark-bg); color: var(--spark-text); }
    button { padding: 5px 10px; border-radius: 8px; border: 1px solid var(--spark-accent); background: var(--spark-accent); color: var(--spark-accent-text, #fff); cursor: pointer; }
    .block { border-left: 3px solid; padding: 2px 8px; margin: 4px 0; font-size: 0.88rem; }
    .err { color: var(--spark-err); font-size: 0.85rem; }
    audio { width: 100%; margin-top: 4px; }
  `;

  connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load() {
    try {
      this.status = await this.api!.json('/status');
      this.health = (await this.api!.json<{ checks: Array<{ name: string; status: string }> }>('health')).checks;
    } catch (e) { this.error = (e as Error).message; }
  }

  private async transcribe(ev: Event) {
    ev.preventDefault();
    const input = (ev.target as HTMLFormElement).querySelector('input[type=file]') as HTMLInputElement;
    const f = input.files?.[0];
    if (!f) return;
    const fd = new FormData();
    fd.append('file', f);
    this.busy = true;
    try {
      const r = await this.api!.json<{ segments: Block[] }>('/api/audio/transcribe-with-speakers', { method: 'POST', body: fd });
      this.blocks = r.segments;
      this.error = '';
    } catch (e) { this.error = (e as Error).message; } finally { this.busy = false; void this.load(); }
  }

  private async speak(ev: Event) {
    ev.preventDefault();
    const text = ((ev.target as HTMLFormElement).querySelector('input[type=text]') as HTMLInputElement).value;
    const res = await this.api!.fetch('/v1/audio/speech', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: text, voice: 'af_heart', response_format: 'wav' }) });
    if (!res.ok) { this.error = `speech failed (${res.status})`; return; }
    if (this.audioUrl) URL.revokeObjectURL(this.audioUrl);
    this.audioUrl = URL.createObjectURL(await res.blob());
  }

  render() {
    const speakers = [...new Set((this.blocks ?? []).map((b) => b.speaker))];
    return html`
      <div class="muted">${this.health?.map((h) => html`<span><span class="dot ${h.status === 'up' ? 'up' : ''}"></span>${h.name} </span>`)}
        ${this.status ? html` · queue ${this.status.queues.parakeet?.waiting ?? 0} waiting` : nothing}</div>
      <form @submit=${this.transcribe}><input type="file" accept="audio/*" aria-label="Audio file"><button ?disabled=${this.busy}>${this.busy ? 'Working…' : 'Transcribe'}</button></form>
      ${this.blocks?.map((b) => html`<div class="block" style="border-color:${COLORS[speakers.indexOf(b.speaker) % COLORS.length]}"><span class="muted">${b.speaker} · ${(b.start_ms / 1000).toFixed(1)} s</span><br>${b.text}</div>`)}
      <form @submit=${this.speak}><input type="text" aria-label="Text to speak" value="Hello from Spark Control."><button>Speak</button></form>
      ${this.audioUrl ? html`<audio controls src=${this.audioUrl}></audio>` : nothing}
      ${this.status?.recent.length ? html`<div class="muted">Recent: ${this.status.recent.slice(0, 5).map((r) => `${r.route} ${r.ms} ms`).join(' · ')}</div>` : nothing}
      ${this.error ? html`<p class="err">${this.error}</p>` : nothing}`;
  }
}

if (!customElements.get('spark-speech-tile')) customElements.define('spark-speech-tile', SpeechTile);

import { LitElement, css, html, nothing } from 'lit';
import type { SparkTileApi } from '../../../core/src/api/tile.js';

interface Block { start_ms: number; end_ms: number; speaker: string; text: string; channel?: string | null }
interface SpeakerAnswer { segments: Block[]; warnings?: string[]; unassigned_words?: number; dual_channel?: { local_words: number; remote_words: number; bleed_suppressed: number } }
const COLORS = ['var(--spark-accent)', 'var(--spark-ok)', 'var(--spark-warn)', 'var(--spark-err)'];

/** Service health, queue, recent requests; try transcription (upload) with speaker colours; hear TTS. */
export class SpeechTile extends LitElement {
  static properties = { api: { attribute: false }, status: { state: true }, health: { state: true }, blocks: { state: true }, error: { state: true }, audioUrl: { state: true }, busy: { state: true }, summary: { state: true }, recording: { state: true } };
  api?: SparkTileApi;
  status?: { queues: Record<string, { inFlight: number; waiting: number }>; recent: Array<{ at: string; route: string; ms: number; status: number }> };
  health?: Array<{ name: string; status: string }>;
  blocks?: Block[];
  error = '';
  audioUrl = '';
  busy = false;
  summary = '';
  recording = false;
  private recorder?: MediaRecorder;

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
    const form = ev.target as HTMLFormElement;
    const f = (form.querySelector('input[type=file]') as HTMLInputElement).files?.[0];
    if (!f) return;
    await this.send(f, f.name, (form.querySelector('input[name=dual]') as HTMLInputElement).checked);
  }

  private async send(audio: Blob, name: string, dual: boolean) {
    const fd = new FormData();
    if (dual) fd.append('channel_mode', 'dual');
    fd.append('file', audio, name);
    this.busy = true;
    try {
      const r = await this.api!.json<SpeakerAnswer>('/api/audio/transcribe-with-speakers', { method: 'POST', body: fd });
      this.blocks = r.segments;
      const d = r.dual_channel;
      this.summary = [
        d ? `local ${d.local_words} words · remote ${d.remote_words} · bleed copies removed ${d.bleed_suppressed}` : '',
        r.unassigned_words ? `${r.unassigned_words} words without a speaker` : '',
        ...(r.warnings ?? []),
      ].filter(Boolean).join(' · ');
      this.error = '';
    } catch (e) { this.error = (e as Error).message; } finally { this.busy = false; void this.load(); }
  }

  /** Microphone recordings come as webm/ogg: mixed mode only (the GPU service decodes them; the splitter needs WAV). */
  private async toggleRecording() {
    if (this.recorder) { this.recorder.stop(); return; }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const parts: Blob[] = [];
      const rec = new MediaRecorder(stream);
      rec.ondataavailable = (e) => parts.push(e.data);
      rec.onstop = () => {
        stream.getTracks().forEach((t) => t.stop());
        this.recorder = undefined;
        this.recording = false;
        const blob = new Blob(parts, { type: rec.mimeType });
        void this.send(blob, rec.mimeType.includes('ogg') ? 'recording.ogg' : 'recording.webm', false);
      };
      rec.start();
      this.recorder = rec;
      this.recording = true;
    } catch (e) { this.error = `microphone: ${(e as Error).message}`; }
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
        ${this.status ? html` · parakeet queue ${this.status.queues.parakeet?.inFlight ?? 0} running, ${this.status.queues.parakeet?.waiting ?? 0} waiting · kokoro ${this.status.queues.kokoro?.waiting ?? 0} waiting` : nothing}</div>
      <form @submit=${this.transcribe}><input type="file" accept="audio/*" aria-label="Audio file">
        <label class="muted" title="Stereo 16-bit WAV; the local microphone on the configured channel (left by default)"><input type="checkbox" name="dual"> dual-channel (stereo call)</label>
        <button ?disabled=${this.busy}>${this.busy ? 'Working…' : 'Transcribe'}</button>
        <button type="button" ?disabled=${this.busy} @click=${this.toggleRecording}>${this.recording ? 'Stop and transcribe' : 'Record'}</button></form>
      ${this.summary ? html`<div class="muted">${this.summary}</div>` : nothing}
      ${this.blocks?.map((b) => html`<div class="block" style="border-color:${COLORS[speakers.indexOf(b.speaker) % COLORS.length]}"><span class="muted">${b.speaker}${b.channel ? ` (${b.channel} channel)` : ''} · ${(b.start_ms / 1000).toFixed(1)} s</span><br>${b.text}</div>`)}
      <form @submit=${this.speak}><input type="text" aria-label="Text to speak" value="Hello from Spark Control."><button>Speak</button></form>
      ${this.audioUrl ? html`<audio controls src=${this.audioUrl}></audio>` : nothing}
      ${this.status?.recent.length ? html`<div class="muted">Recent: ${this.status.recent.slice(0, 5).map((r) => `${r.route} ${r.ms} ms`).join(' · ')}</div>` : nothing}
      ${this.error ? html`<p class="err">${this.error}</p>` : nothing}`;
  }
}

if (!customElements.get('spark-speech-tile')) customElements.define('spark-speech-tile', SpeechTile);

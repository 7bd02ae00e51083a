import { LitElement, css, html, nothing } from 'lit';
import type { SparkTileApi } from '@spark-control/plugin-api';
import { recordingToWav } from './recordingToWav.js';

interface Block { start_ms: number; end_ms: number; speaker: string; text: string; channel?: string | null }
interface SpeakerAnswer { segments: Block[]; warnings?: string[]; unassigned_words?: number; dual_channel?: { local_label: string; local_words: number; remote_words: number; bleed_suppressed: number } }
/** One colour per speaker (red is kept for errors; a 4th speaker gets the text colour, "unknown" the muted one). */
const COLORS = ['var(--spark-accent)', 'var(--spark-ok)', 'var(--spark-warn)', 'var(--spark-text)'];
const SERVICE_NAMES: Record<string, string> = { parakeet: 'Transcription', kokoro: 'Voice' };
const ROUTE_NAMES: Record<string, string> = { transcriptions: 'transcription', 'transcribe-with-speakers': 'transcription with speakers', diarize: 'speaker detection', speech: 'read aloud' };
const took = (ms: number) => (ms < 100 ? 'under 0.1 s' : `${(ms / 1000).toFixed(1)} s`);
/** "Speaker_0" → "Speaker 1", the local channel → "Local microphone", as an owner would say it. */
const speakerName = (s: string, localLabel?: string) => (localLabel && s === localLabel ? 'Local microphone' : s === 'unknown' ? 'Unknown speaker' : s.replace(/^speaker_(\d+)$/i, (_, n) => `Speaker ${Number(n) + 1}`));
/** An upstream refusal as a sentence: the service's own name and the JSON it answered read as words. */
function readableError(e: unknown): string {
  const msg = (e as Error).message ?? String(e);
  const plain = msg.replace(/:\s*(\{.*\})\s*$/s, (whole, json: string) => {
    try { const d = JSON.parse(json).detail ?? JSON.parse(json).error?.message; return d ? `: ${typeof d === 'string' ? d : JSON.stringify(d)}` : whole; } catch { return whole; }
  }).replace(/^(parakeet|kokoro)\b/, (n) => `The ${SERVICE_NAMES[n]?.toLowerCase() ?? n} service`);
  return (e as { code?: string }).code === 'SPEECH_UPSTREAM_ERROR' && /decode/.test(plain) ? `${plain}. Try a WAV, MP3, FLAC or Ogg file.` : plain;
}
const clock = (ms: number) => { const s = Math.floor(ms / 1000); return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`; };

/** Service health, queue (now and its history, one line per service), recent requests; try transcription (upload) with speaker colours; hear TTS. */
export class SpeechTile extends LitElement {
  static properties = { api: { attribute: false }, status: { state: true }, health: { state: true }, blocks: { state: true }, error: { state: true }, audioUrl: { state: true }, busy: { state: true }, speaking: { state: true }, summary: { state: true }, recording: { state: true }, localLabel: { state: true }, simulated: { state: true } };
  api?: SparkTileApi;
  status?: { queues: Record<string, { inFlight: number; waiting: number }>; recent: Array<{ at: string; route: string; ms: number; status: number }> };
  health?: Array<{ name: string; status: string }>;
  blocks?: Block[];
  error = '';
  audioUrl = '';
  busy = false;
  speaking = false;
  summary = '';
  localLabel?: string;
  recording = false;
  simulated = false;
  private recorder?: MediaRecorder;
  private warnings: string[] = [];

  static styles = css`
    :host { display: block; font-family: var(--spark-font); color: var(--spark-text); }
    h4 { margin: 14px 0 4px; font-size: 0.92rem; }
    .muted { color: var(--spark-muted); font-size: 0.82rem; }
    .services { display: flex; gap: 14px; flex-wrap: wrap; font-size: 0.85rem; }
    .dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: var(--spark-err); margin-right: 5px; }
    .dot.up { background: var(--spark-ok); }
    .queue { margin-top: 10px; }
    form { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; margin: 6px 0; }
    input, button, textarea { font: inherit; font-size: 0.86rem; }
    input[type=file] { max-width: 100%; }
    textarea, input[type=text] { flex: 1; min-width: 140px; padding: 6px; border-radius: 8px; border: 1px solid var(--spark-border); background: var(--spark-bg); color: var(--spark-text); }
    label { display: inline-flex; gap: 5px; align-items: center; font-size: 0.85rem; }
    button { padding: 5px 12px; border-radius: 8px; border: 1px solid var(--spark-accent); background: var(--spark-accent); color: var(--spark-accent-text); cursor: pointer; }
    button.secondary { background: var(--spark-surface); color: var(--spark-text); border-color: var(--spark-border); }
    button[disabled] { opacity: 0.6; cursor: progress; }
    .transcript { max-height: 420px; overflow: auto; margin: 6px 0; }
    .block { border-left: 4px solid; padding: 4px 10px; margin: 6px 0; font-size: 0.9rem; line-height: 1.4; background: var(--spark-bg); border-radius: 0 8px 8px 0; }
    .who { font-weight: 600; font-size: 0.82rem; }
    .when { color: var(--spark-muted); font-size: 0.78rem; margin-left: 6px; }
    .summary { font-size: 0.82rem; color: var(--spark-muted); margin: 4px 0; }
    .warn { border-left: 3px solid var(--spark-warn); padding: 2px 8px; font-size: 0.82rem; margin: 4px 0; }
    .err { color: var(--spark-err); font-size: 0.85rem; }
    audio { width: 100%; margin-top: 4px; }
    /* On a phone the page scrolls, not a box inside it. */
    @media (max-width: 720px) { .transcript { max-height: none; } }
  `;

  connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    void this.api?.json<{ simulated: boolean }>('/api/info').then((i) => { this.simulated = i.simulated; }, () => {});
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
    if (!f) { this.error = 'Choose an audio file first.'; return; }
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
      this.localLabel = d?.local_label;
      const people = new Set(r.segments.map((b) => b.speaker).filter((s) => s !== 'unknown')).size;
      this.summary = [
        `${people} ${people === 1 ? 'speaker' : 'speakers'}`,
        d ? `local microphone ${d.local_words} words, other side ${d.remote_words} words, ${d.bleed_suppressed} echoed words removed` : '',
        r.unassigned_words ? `${r.unassigned_words} words could not be given a speaker` : '',
      ].filter(Boolean).join(' · ');
      this.warnings = r.warnings ?? [];
      this.error = '';
    } catch (e) { this.error = `Transcription failed: ${readableError(e)}`; } finally { this.busy = false; void this.load(); }
  }

  /** Microphone recordings come as WebM/Opus (Chromium) or Ogg (Firefox): the browser decodes its own take into a
   *  16 kHz WAV before sending, so the services get a format they read. */
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
        void recordingToWav(blob).then((wav) => this.send(wav ?? blob, wav ? 'recording.wav' : rec.mimeType.includes('ogg') ? 'recording.ogg' : 'recording.webm', false));
      };
      rec.start();
      this.recorder = rec;
      this.recording = true;
    } catch (e) { this.error = `microphone: ${(e as Error).message}`; }
  }

  private async speak(ev: Event) {
    ev.preventDefault();
    const text = ((ev.target as HTMLFormElement).querySelector('input[type=text]') as HTMLInputElement).value.trim();
    if (!text) { this.error = 'Type something to read aloud first.'; return; }
    this.speaking = true;
    try {
      const res = await this.api!.fetch('/v1/audio/speech', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: text, voice: 'af_heart', response_format: 'wav' }) });
      if (!res.ok) {
        const body = await res.json().catch(() => undefined) as { error?: { message?: string } } | undefined;
        this.error = `Reading aloud failed: ${body?.error?.message ?? `HTTP ${res.status}`}`;
        return;
      }
      if (this.audioUrl) URL.revokeObjectURL(this.audioUrl);
      this.audioUrl = URL.createObjectURL(await res.blob());
      this.error = '';
    } catch (e) { this.error = `Reading aloud failed: ${(e as Error).message}`; } finally { this.speaking = false; void this.load(); }
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.audioUrl) URL.revokeObjectURL(this.audioUrl);
    this.recorder?.stop();
  }

  private queueText(name: string) {
    const q = this.status?.queues[name];
    if (!q) return '';
    return q.inFlight || q.waiting ? `${q.inFlight} working, ${q.waiting} waiting` : 'idle';
  }

  render() {
    const speakers = [...new Set((this.blocks ?? []).map((b) => b.speaker).filter((s) => s !== 'unknown'))];
    const colour = (s: string) => (s === 'unknown' ? 'var(--spark-muted)' : COLORS[speakers.indexOf(s) % COLORS.length]);
    return html`
      <div class="services">${this.health?.map((h) => html`<span><span class="dot ${h.status === 'up' ? 'up' : ''}"></span>${SERVICE_NAMES[h.name] ?? h.name}: ${h.status === 'up' ? 'ready' : 'not reachable'}${this.status ? html` <span class="muted">(${this.queueText(h.name)})</span>` : nothing}</span>`)}</div>
      <spark-history-chart class="queue" data-testid="speech-queue" series="speech.queue" label="Requests waiting" .names=${SERVICE_NAMES}></spark-history-chart>
      <h4>Transcribe a recording</h4>
      <form @submit=${this.transcribe}><input type="file" accept="audio/*" aria-label="Audio file">
        <label title="A stereo 16-bit WAV of a call: your microphone on one channel (left by default), the other side on the other"><input type="checkbox" name="dual"> Stereo call recording</label>
        <button ?disabled=${this.busy}>${this.busy ? 'Working…' : 'Transcribe'}</button>
        <button type="button" class="secondary" ?disabled=${this.busy && !this.recording} title=${this.busy && !this.recording ? 'Wait for the transcription in progress' : ''} @click=${this.toggleRecording}>${this.recording ? 'Stop and transcribe' : 'Record from microphone'}</button></form>
      <div class="muted" data-testid="sim-hearing">${this.simulated ? html`Simulated cluster: the recogniser cannot hear words; your own audio comes back as a marked placeholder transcript timed to where someone speaks.` : nothing}</div>
      ${this.blocks ? nothing : html`<div class="muted">Choose a recording and press Transcribe: the text comes back split by who is speaking, one colour per person.</div>`}
      ${this.summary ? html`<div class="summary" data-testid="summary">${this.summary}</div>` : nothing}
      ${this.warnings.map((w) => html`<div class="warn">${w}</div>`)}
      ${this.blocks ? html`<div class="transcript">${this.blocks.length ? this.blocks.map((b) => html`<div class="block" style="border-color:${colour(b.speaker)}"><span class="who" style="color:${colour(b.speaker)}" data-testid="speaker">${speakerName(b.speaker, this.localLabel)}</span><span class="when">${clock(b.start_ms)}</span><div data-testid="text">${b.text}</div></div>`) : html`<div class="muted">No speech was recognised in this recording.</div>`}</div>` : nothing}
      <h4>Read text aloud</h4>
      <form @submit=${this.speak}><input type="text" aria-label="Text to speak" value="Hello from Spark Control."><button ?disabled=${this.speaking}>${this.speaking ? 'Working…' : 'Speak'}</button></form>
      ${this.audioUrl ? html`<audio controls src=${this.audioUrl}></audio>` : nothing}
      <spark-service-logs src="/api/plugins/speech/logs" .labels=${SERVICE_NAMES}></spark-service-logs>
      ${this.status?.recent.length ? html`<div class="muted">Recent requests: ${this.status.recent.slice(0, 5).map((r) => `${ROUTE_NAMES[r.route] ?? r.route} ${r.status === 200 ? took(r.ms) : `failed (${r.status})`}`).join(' · ')}</div>` : nothing}
      ${this.error ? html`<p class="err" role="alert">${this.error}</p>` : nothing}`;
  }
}

if (!customElements.get('spark-speech-tile')) customElements.define('spark-speech-tile', SpeechTile);

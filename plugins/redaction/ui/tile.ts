import { LitElement, css, html, nothing } from 'lit';
import type { SparkTileApi } from '@spark-control/plugin-api';

/** Try-it box: scrub (placeholders highlighted), then rehydrate a reply that uses those placeholders with the map
 *  handle Scrub returned — the round trip a cloud call makes — plus map count and recent error codes. */
export class RedactionTile extends LitElement {
  static properties = { api: { attribute: false }, result: { state: true }, stats: { state: true }, error: { state: true }, restored: { state: true } };
  api?: SparkTileApi;
  result?: { text: string; tier1: number; tier2: number; handle: string; expires: string };
  restored?: { text: string; replaced: number; unknown: string[] };
  stats?: { maps: number; itemsScrubbed: number; lastErrors: Array<{ at: string; code: string }> };
  error = '';

  static styles = css`
    :host { display: block; font-family: var(--spark-font); color: var(--spark-text); }
    textarea { width: 100%; min-height: 80px; font: inherit; font-size: 0.88rem; padding: 8px; border-radius: 8px; border: 1px solid var(--spark-border); background: var(--spark-bg); color: var(--spark-text); box-sizing: border-box; }
    button { font: inherit; font-size: 0.88rem; padding: 5px 12px; border-radius: 8px; border: 1px solid var(--spark-accent); background: var(--spark-accent); color: var(--spark-accent-text, #fff); cursor: pointer; margin-top: 6px; }
    .out { margin-top: 8px; padding: 8px; border: 1px solid var(--spark-border); border-radius: 8px; background: var(--spark-surface-2); white-space: pre-wrap; font-size: 0.88rem; }
    mark { background: color-mix(in srgb, var(--spark-accent) 20%, transparent); color: var(--spark-text); border-radius: 4px; padding: 0 2px; font-weight: 600; }
    mark.t1 { background: color-mix(in srgb, var(--spark-err) 20%, transparent); }
    .muted { color: var(--spark-muted); font-size: 0.82rem; }
    .err { color: var(--spark-err); font-size: 0.85rem; }
    .lbl { display: block; font-size: 0.82rem; font-weight: 600; margin: 10px 0 4px; overflow-wrap: anywhere; }
    code { font-family: var(--spark-mono); font-size: 0.78rem; }
  `;

  connectedCallback(): void {
    super.connectedCallback();
    void this.loadStats();
  }

  private async loadStats() {
    try { this.stats = await this.api!.json('/stats'); } catch { /* tile still usable */ }
  }

  private async run(ev: Event) {
    ev.preventDefault();
    const text = (this.renderRoot.querySelector('textarea[name=original]') as HTMLTextAreaElement).value;
    try {
      const r = await this.api!.json<{ map_handle: string; expires_at: string; items: Array<{ scrubbed_text: string }>; stats: { tier1_dropped: number; tier2_tokenized: number } }>('/try', {
        method: 'POST', jsonBody: { items: [{ id: 'try', text }], tier1_action: 'drop', ner: 'rules_only' },
      });
      this.result = { text: r.items[0].scrubbed_text, tier1: r.stats.tier1_dropped, tier2: r.stats.tier2_tokenized, handle: r.map_handle, expires: r.expires_at };
      this.restored = undefined;
      this.error = '';
      await this.updateComplete;
      // What a cloud model might answer, using the placeholders: the user edits it and puts the originals back.
      const reply = this.renderRoot.querySelector('textarea[name=reply]') as HTMLTextAreaElement | null;
      if (reply) reply.value = `Reply drafted by the cloud model: ${r.items[0].scrubbed_text}`;
    } catch (e) { this.error = (e as Error).message; }
    void this.loadStats();
  }

  private async rehydrate(ev: Event) {
    ev.preventDefault();
    if (!this.result) return;
    const text = (this.renderRoot.querySelector('textarea[name=reply]') as HTMLTextAreaElement).value;
    try {
      const r = await this.api!.json<{ items: Array<{ text: string; replaced: number; unknown_placeholders: string[] }> }>('/try-rehydrate', {
        method: 'POST', jsonBody: { map_handle: this.result.handle, items: [{ id: 'try', text }] },
      });
      this.restored = { text: r.items[0].text, replaced: r.items[0].replaced, unknown: r.items[0].unknown_placeholders ?? [] };
      this.error = '';
    } catch (e) { this.error = `Rehydrate: ${(e as Error).message}`; }
  }

  private highlighted(text: string) {
    return text.split(/(\[[A-Z]+_\d+\]|\[REDACTED_[A-Z]+\])/).map((part) => (/^\[[A-Z_]+\d*\]$/.test(part) ? html`<mark class=${part.startsWith('[REDACTED') ? 't1' : ''}>${part}</mark>` : part));
  }

  render() {
    return html`<form @submit=${this.run}>
        <textarea name="original" aria-label="Text to scrub" placeholder="Paste text with names, emails, card numbers…">Hi, this is Anna Müller from Example Capital. Call me at +1 415 555 0100 or anna@example.com; card 4111 1111 1111 1111.</textarea>
        <button type="submit">Scrub</button></form>
      ${this.result ? html`<div class="out" data-testid="scrubbed">${this.highlighted(this.result.text)}</div>
        <p class="muted">${this.result.tier1} secret value(s) dropped, ${this.result.tier2} identity value(s) replaced. Nothing you type here is stored except the placeholder map (encrypted).</p>
        <form @submit=${this.rehydrate} data-testid="rehydrate-form">
          <label class="lbl" for="reply">Text with placeholders to put the originals back into (map <code data-testid="map-handle">${this.result.handle.slice(0, 12)}…</code>, kept until ${new Date(this.result.expires).toLocaleString()})</label>
          <textarea id="reply" name="reply" aria-label="Text with placeholders"></textarea>
          <button type="submit">Rehydrate</button></form>` : nothing}
      ${this.restored ? html`<div class="out" data-testid="rehydrated">${this.restored.text}</div>
        <p class="muted">${this.restored.replaced} placeholder(s) put back${this.restored.unknown.length ? html`; not in this map: ${this.restored.unknown.join(', ')}` : nothing}.</p>` : nothing}
      ${this.error ? html`<p class="err">${this.error}</p>` : nothing}
      ${this.stats ? html`<p class="muted">${this.stats.maps} map(s) held · ${this.stats.itemsScrubbed} item(s) scrubbed since start${this.stats.lastErrors.length ? html` · recent refusals: ${this.stats.lastErrors.slice(-5).map((e) => e.code).join(', ')}` : nothing}</p>` : nothing}`;
  }
}

if (!customElements.get('spark-redaction-tile')) customElements.define('spark-redaction-tile', RedactionTile);

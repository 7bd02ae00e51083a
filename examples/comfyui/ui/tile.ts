import { LitElement, css, html, nothing } from 'lit';

interface Api { json<T>(path: string, init?: RequestInit): Promise<T>; base: string }

/** ComfyUI tile: queue, GPU device, recent images. */
class ComfyTile extends LitElement {
  static properties = { api: { attribute: false }, queue: { state: true }, stats: { state: true }, images: { state: true }, error: { state: true } };
  api?: Api;
  queue?: { running: number; pending: number };
  stats?: { devices: Array<{ name: string }>; system: { comfyui_version?: string } };
  images: Array<{ filename: string; subfolder: string; type: string }> = [];
  error = '';
  static styles = css`
    :host { display: block; font-family: var(--spark-font); color: var(--spark-text); }
    .muted { color: var(--spark-muted); font-size: 0.85rem; }
    .grid { display: grid; grid-template-columns: repeat(4, 1fr); gap: 6px; margin-top: 8px; }
    img { width: 100%; aspect-ratio: 1; object-fit: cover; border-radius: 6px; background: var(--spark-surface-2); }
  `;
  async connectedCallback() {
    super.connectedCallback();
    try {
      [this.queue, this.stats] = await Promise.all([this.api!.json<ComfyTile['queue']>('/queue'), this.api!.json<ComfyTile['stats']>('/stats')]);
      this.images = (await this.api!.json<{ images: ComfyTile['images'] }>('/recent?limit=8')).images;
    } catch (e) { this.error = (e as Error).message; }
  }
  render() {
    if (this.error) return html`<p class="muted">${this.error}</p>`;
    return html`<div><b>${this.queue?.running ?? '–'}</b> running · <b>${this.queue?.pending ?? '–'}</b> queued</div>
      <div class="muted">${this.stats ? `${this.stats.devices[0]?.name ?? ''} · ComfyUI ${this.stats.system.comfyui_version ?? ''}` : nothing}</div>
      <div class="grid">${this.images.map((i) => html`<img alt=${i.filename} src="${this.api!.base}/proxy/view?filename=${encodeURIComponent(i.filename)}&type=${i.type}">`)}</div>`;
  }
}
if (!customElements.get('spark-comfyui-tile')) customElements.define('spark-comfyui-tile', ComfyTile);
